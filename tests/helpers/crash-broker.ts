// A broker in a child process that kills itself (SIGKILL: no cleanup, no
// flush, no marker) at one step of a topic create or delete, for crash tests.
// Usage: node --import tsx tests/helpers/crash-broker.ts <dataDir> <create|delete> <step>
//   create: creates topic `born` (2 partitions), killed at <step>.
//   delete: creates topic `doomed` (2 partitions) with 3 records in each, then deletes it, killed at <step>.
// Prints "ready" once the topic to delete holds its records. Exits 3 if the step was never reached.

import pino from 'pino';
import { Broker, type TopicStep } from '../../broker/broker.ts';
import { resolveConfig } from '../../broker/config.ts';
import { batch } from '../storage/log-helpers.ts';

const [dataDir, action, step] = process.argv.slice(2) as [string, 'create' | 'delete', TopicStep];
// The broker core alone (no listeners: nothing here needs a socket), so the child starts quickly.
const broker = new Broker(resolveConfig({ overrides: { dataDir, port: 0, httpPort: -1, pageCacheMb: 16 } }), pino({ level: 'silent' }));
broker.open();
if (action === 'delete') {
  await broker.createTopic('doomed', { partitions: 2 });
  for (let p = 0; p < 2; p++) await broker.produce('doomed', p, batch(3, { tag: `old${p}` }), { acks: -1, timeoutMs: 10_000 });
}
process.stdout.write('ready\n');
broker.faultHook = (at) => {
  if (at === step) process.kill(process.pid, 'SIGKILL');
};
if (action === 'create') await broker.createTopic('born', { partitions: 2 });
else await broker.deleteTopic('doomed');
process.exit(3);
