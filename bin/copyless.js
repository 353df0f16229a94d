#!/usr/bin/env node
// The `copyless` executable. TypeScript runs through tsx (no build step).
// `copyless broker ...` starts a broker and `copyless bench ...` runs the
// benchmarks; every other command is the client CLI. The broker, the client
// and the benchmark never import each other's entry points: this launcher,
// outside all three, is the only place that knows them all.
import { register } from 'tsx/esm/api';

register();
const sub = process.argv[2];
if (sub === 'broker') {
  const { brokerCommand } = await import('../broker/main.ts');
  await brokerCommand().parseAsync(process.argv.slice(3), { from: 'user' });
} else if (sub === 'bench') {
  const { main } = await import('../bench/main.ts');
  process.exitCode = await main(process.argv.slice(3));
} else {
  const { main } = await import('../client/cli/main.ts');
  process.exitCode = await main(process.argv.slice(2));
}
