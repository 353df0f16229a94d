// `copyless broker` / `npm start`: read config (flags > COPYLESS_* env >
// --config file > defaults), start the broker, print one `ready` line, and
// stop cleanly on SIGINT/SIGTERM (stop accepting, finish in-flight requests,
// flush, write the clean-shutdown marker).

import { Command } from 'commander';
import { fileURLToPath } from 'node:url';
import { OPTIONS, kebab, envName, type OptionName } from './config.ts';
import { startBroker } from './server.ts';

export function brokerCommand(): Command {
  const cmd = new Command('copyless broker').description('Run a copyless broker (Kafka wire protocol + HTTP/WebSocket API)');
  cmd.option('--config <file>', 'JSON config file with option names as keys (lowest precedence after defaults)');
  for (const [name, spec] of Object.entries(OPTIONS)) {
    const flag = spec.kind === 'bool' || spec.kind === 'nullableBool' ? `--${kebab(name)} [bool]` : `--${kebab(name)} <value>`;
    cmd.option(flag, `${spec.description} (${defaultText(spec.default, spec.description)}env ${envName(name)})`);
  }
  cmd.action(async (opts: Record<string, unknown>) => {
    const overrides: Partial<Record<OptionName, unknown>> = {};
    for (const name of Object.keys(OPTIONS) as OptionName[]) {
      const v = opts[name];
      if (v !== undefined) overrides[name] = v === true ? 'true' : v;
    }
    await runBroker(overrides, (opts.config as string | undefined) ?? process.env.COPYLESS_CONFIG ?? null);
  });
  return cmd;
}

/** "default X; " for the help text: none for an unset option, "never" for Infinity, nothing when the description already says. */
function defaultText(value: unknown, description: string): string {
  if (value === null || /\bdefault\b/.test(description)) return '';
  return `default ${value === Infinity ? 'never' : String(value)}; `;
}

async function runBroker(overrides: Partial<Record<OptionName, unknown>>, configFile: string | null): Promise<void> {
  const t0 = performance.now();
  let running;
  try {
    running = await startBroker(overrides, { env: process.env, configFile });
  } catch (e) {
    const err = e as Error & { errorName?: string; details?: { dataDirLocked?: boolean } };
    const name = err.errorName && !err.details?.dataDirLocked ? `${err.errorName}: ` : '';
    process.stderr.write(`copyless broker: ${name}${err.message}\n`);
    process.exit(1);
  }
  const http = running.httpPort !== null ? `http://${running.host}:${running.httpPort}` : 'disabled';
  running.logger.info(
    { kafka: `${running.host}:${running.port}`, http, dataDir: running.config.dataDir, fetchMode: running.config.fetchMode, startMs: Math.round(performance.now() - t0) },
    `ready: kafka ${running.host}:${running.port}, http ${http}`,
  );
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    running.logger.info({ signal }, 'stopping');
    try {
      await running.close();
      process.exit(0);
    } catch (e) {
      running.logger.error({ err: (e as Error).message }, 'unclean stop');
      process.exit(1);
    }
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await brokerCommand().parseAsync(process.argv);
}
