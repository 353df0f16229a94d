// A broker core with no listener and no HTTP server, on its own temp data dir:
// enough for the dashboard's builders, which read the core only.

import fs from 'node:fs';
import pino from 'pino';
import { Broker } from '../../../broker/broker.ts';
import { resolveConfig, type OptionName } from '../../../broker/config.ts';
import { encodeRecordBatch } from '../../../src/record/index.ts';
import { tempDir } from '../../helpers/broker.ts';

export interface CoreBroker {
  broker: Broker;
  /** Append `count` records of `valueBytes` each to topic-partition (acks=1). */
  produce(topic: string, partition: number, count: number, valueBytes: number): Promise<void>;
  destroy(): Promise<void>;
}

export async function startCoreBroker(cfg: Partial<Record<OptionName, unknown>> = {}): Promise<CoreBroker> {
  const dataDir = tempDir('copyless-dash-');
  const config = resolveConfig({ overrides: { dataDir, pageCacheMb: 8, segmentBytes: 1024 * 1024, ...cfg } });
  const broker = new Broker(config, pino({ level: 'silent' }));
  broker.open();
  return {
    broker,
    async produce(topic, partition, count, valueBytes) {
      const records = Array.from({ length: count }, (_, i) => ({ value: Buffer.alloc(valueBytes, 97 + (i % 26)) }));
      await broker.produce(topic, partition, encodeRecordBatch(records), { acks: 1, timeoutMs: 5000 });
    },
    async destroy() {
      await broker.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
