// A real copyless broker for the client's integration tests: port 0, its own
// temp data dir (removed afterwards), logging silenced.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type RunningBroker, startBroker } from '../../broker/server.ts';

export interface BrokerFixture {
  dataDir: string;
  broker: RunningBroker;
  address: () => string;
  /** Stops the broker and starts a new one on the same data dir (new port). */
  restart: () => Promise<void>;
  close: () => Promise<void>;
}

const TEST_BROKER = { port: 0, httpPort: -1, pageCacheMb: 32 };

export async function startTestBroker(extra: Record<string, unknown> = {}): Promise<BrokerFixture> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'copyless-client-'));
  const cfg = { ...TEST_BROKER, ...extra, dataDir };
  const f: BrokerFixture = {
    dataDir,
    broker: await startBroker(cfg, { logLevel: 'silent' }),
    address: () => `127.0.0.1:${f.broker.port}`,
    restart: async () => {
      await f.broker.close();
      f.broker = await startBroker(cfg, { logLevel: 'silent' });
    },
    close: async () => {
      await f.broker.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return f;
}
