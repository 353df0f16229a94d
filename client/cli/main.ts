// The `copyless` CLI (everything but `broker` and `bench`, which bin/copyless.js
// dispatches elsewhere). `main(argv)` takes the user's arguments (without
// `node` and the script path) and returns the exit code: 0 success, 1 a
// failed command (one `copyless: NAME: message` line on stderr), 2 a usage
// error, 130 a produce interrupted by Ctrl-C. Run directly:
// `npx tsx client/cli/main.ts topic list`.

import fs from 'node:fs';
import { pathToFileURL } from 'node:url';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { isCopylessError } from '../../src/errors.ts';
import { COMPRESSION_NAMES } from '../../src/record/index.ts';
import { statsCommand, topicCreate, topicDelete, topicDescribe, topicList } from './admin-commands.ts';
import { describeError } from './client.ts';
import { consumeCommand } from './consume-command.ts';
import { groupDescribe, groupList, groupResetOffsets } from './group-commands.ts';
import { type CliIo, processIo } from './io.ts';
import { produceCommand } from './produce-command.ts';

const BROKER_DEFAULT = '127.0.0.1:9092';
const USAGE_EXIT_CODE = 2;

export async function main(argv: string[], io: CliIo = processIo()): Promise<number> {
  let code = 0;
  const program = buildProgram(io, (c) => {
    code = c;
  });
  try {
    await program.parseAsync(argv, { from: 'user' });
    return code;
  } catch (e) {
    // Commander has already printed help or the usage mistake to stderr.
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : USAGE_EXIT_CODE;
    io.stderr.write(`copyless: ${describeError(e)}\n`);
    return 1;
  }
}

/** The package's version (package.json, next to the bin). */
export function packageVersion(): string {
  return (JSON.parse(fs.readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
}

/** The fetch modes a copyless broker knows (src/fetch/fetch-mode.ts; the client does not import the broker's modules). */
const FETCH_MODES_HELP = 'copy, mmap, sendfile, splice (modelled) or native-sendfile, native-copy (real, need the native addon)';

function buildProgram(io: CliIo, setCode: (code: number) => void): Command {
  const program = new Command('copyless')
    .description('copyless: a Kafka-protocol message broker that makes zero-copy visible and measurable')
    .exitOverride()
    .configureOutput({ writeOut: (s) => void io.stdout.write(s), writeErr: (s) => void io.stderr.write(s) })
    .version(packageVersion(), '-V, --version', 'print the copyless version')
    .showHelpAfterError('(add --help for usage)');

  program.command('broker').description('run a broker (see `copyless broker --help`)').allowUnknownOption().allowExcessArguments()
    .action(() => notHere(io, 'broker', setCode));
  program.command('bench').description('run the benchmarks (see `copyless bench --help`)').allowUnknownOption().allowExcessArguments()
    .action(() => notHere(io, 'bench', setCode));

  const topic = program.command('topic').description('create, list, describe and delete topics');
  withBroker(topic.command('create <name>').description('create a topic'))
    .option('--partitions <n>', 'number of partitions', intArg('--partitions', 1), 1)
    .action(async (name: string, o) => setCode(await topicCreate(io, name, o)));
  withBroker(topic.command('list').description('list topic names, one per line'))
    .action(async (o) => setCode(await topicList(io, o)));
  withBroker(topic.command('describe <name>').description('partitions, start/end offsets, segments and bytes (never creates the topic)'))
    .option('--json', 'print the description as JSON')
    .action(async (name: string, o) => setCode(await topicDescribe(io, name, o)));
  withBroker(topic.command('delete <name>').description('delete a topic and its data'))
    .action(async (name: string, o) => setCode(await topicDelete(io, name, o)));

  withBroker(program.command('produce <topic>').description('produce stdin lines (or --count synthetic messages) to a topic, in input order; creates the topic where the broker auto-creates topics'))
    .option('--key <key>', 'key of every message')
    .option('--partition <p>', 'partition of every message (default: by key, else round-robin)', intArg('--partition', 0))
    .addOption(new Option('--acks <acks>', 'acknowledgement level').choices(['0', '1', 'all', '-1']).default('all'))
    .option('--count <n>', 'produce n synthetic messages instead of reading stdin', intArg('--count', 0))
    .option('--size <bytes>', 'size of each synthetic message (default 100)', intArg('--size', 0))
    .addOption(new Option('--compression <codec>', 'batch compression').choices([...COMPRESSION_NAMES]).default('none'))
    .option('--linger-ms <ms>', 'how long a batch waits for more messages', intArg('--linger-ms', 0))
    .option('--batch-bytes <bytes>', 'batch size per partition', intArg('--batch-bytes', 1))
    .option('--json', 'print a JSON summary on stdout')
    .action(async (t: string, o) => setCode(await produceCommand(io, t, o)));

  withBroker(program.command('consume <topic>').description('print messages of a topic, one value per line on stdout (never creates the topic)'))
    .option('--from-beginning', 'start at the earliest offset (default: only new messages)')
    .option('--offset <n>', 'start at offset n (outside the log it is an error, unless --reset)', intArg('--offset', 0))
    .addOption(new Option('--reset <where>', 'where to go when the position is outside the log: the log\'s start or end (Kafka auto.offset.reset)').choices(['earliest', 'latest']))
    .option('--partition <p>', 'read one partition (default: all)', intArg('--partition', 0))
    .option('--count <n>', 'exit after n messages', intArg('--count', 1))
    .option('--fetch-mode <mode>', `copyless fetch mode for this consumer: ${FETCH_MODES_HELP}`)
    .option('--max-wait-ms <ms>', 'long-poll wait per fetch', intArg('--max-wait-ms', 0))
    .option('--exit-at-end', 'exit once every partition read is at its current end')
    .option('--json', 'one JSON object per line: partition, offset, timestamp, key, value')
    .option('--group <id>', 'join consumer group <id>: share the partitions with its other members, start from its commits and commit as it goes')
    .option('--session-timeout-ms <ms>', 'with --group: how long the group waits for a silent member', intArg('--session-timeout-ms', 1))
    .option('--heartbeat-interval-ms <ms>', 'with --group: heartbeat period (also how soon a rebalance is noticed)', intArg('--heartbeat-interval-ms', 1))
    .action(async (t: string, o) => setCode(await consumeCommand(io, t, o)));

  const group = program.command('group').description('list consumer groups, describe their lag, reset their committed offsets');
  withBroker(group.command('list').description('every group with members or committed offsets'))
    .option('--json', 'print the groups as JSON')
    .action(async (o) => setCode(await groupList(io, o)));
  withBroker(group.command('describe <group>').description('per partition: committed offset, log end, lag in messages and bytes, oldest unconsumed age, owner'))
    .option('--json', 'print the description as JSON')
    .action(async (g: string, o) => setCode(await groupDescribe(io, g, o)));
  withBroker(group.command('reset-offsets <group>').description('move the committed offsets of a group with no active members (stop its consumers first)'))
    .requiredOption('--topic <topic>', 'topic whose committed offsets move')
    .option('--to-earliest', 'to each partition\'s first offset')
    .option('--to-latest', 'to each partition\'s end (skip everything unread)')
    .option('--to-offset <n>', 'to offset n (clamped into each partition\'s range)', intArg('--to-offset', 0))
    .option('--partition <p>', 'only this partition (default: all)', intArg('--partition', 0))
    .option('--json', 'print the new offsets as JSON')
    .action(async (g: string, o) => setCode(await groupResetOffsets(io, g, o)));

  withBroker(program.command('stats').description('fetch-mode counters (system calls, copies, DMA, page faults, page cache)'))
    .option('--json', 'print the broker JSON exactly as returned')
    .action(async (o) => setCode(await statsCommand(io, o)));

  return program;
}

function withBroker(cmd: Command): Command {
  return cmd.option('--broker <host:port>', 'broker to bootstrap from', BROKER_DEFAULT);
}

function intArg(flag: string, min: number): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!/^-?\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min) {
      throw new InvalidArgumentError(`${flag} must be an integer >= ${min}`);
    }
    return n;
  };
}

function notHere(io: CliIo, command: string, setCode: (code: number) => void): void {
  io.stderr.write(`copyless: run \`${command}\` through the copyless bin (npx copyless ${command} ...)\n`);
  setCode(USAGE_EXIT_CODE);
}

const invokedDirectly = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (invokedDirectly) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (e) => {
      process.stderr.write(`copyless: ${describeError(e)}\n`);
      process.exitCode = 1;
    },
  );
}
