// A broker in a process of its own, for the reliability scenarios: they kill
// it with SIGKILL, read its RSS and open sockets from /proc, and keep their
// own clients out of its event loop. Started as
//   node --import tsx tests/reliability/broker-child.ts '<json options>'
// it prints one line `READY <kafka port> <http port or -1>` once listening.

import { startBroker } from '../../broker/server.ts';
import type { OptionName } from '../../broker/config.ts';

const options = JSON.parse(process.argv[2] ?? '{}') as Partial<Record<OptionName, unknown>>;
const running = await startBroker({ port: 0, ...options }, { logLevel: process.env.COPYLESS_SOAK_LOG ?? 'silent' });
process.stdout.write(`READY ${running.port} ${running.httpPort ?? -1}\n`);
const stop = () => void running.close().then(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
