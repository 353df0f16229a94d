// pino logger: human-readable (pino-pretty) on a terminal, JSON lines otherwise
// (files, pipes, log shippers). Level from the logLevel option.

import pino, { type Logger } from 'pino';

export function createLogger(level: string, o: { pretty?: boolean } = {}): Logger {
  const pretty = o.pretty ?? Boolean(process.stdout.isTTY);
  if (level === 'silent') return pino({ level: 'silent' });
  if (pretty) {
    return pino({
      level,
      transport: { target: 'pino-pretty', options: { colorize: true, translateTime: 'HH:MM:ss.l', ignore: 'pid,hostname' } },
    });
  }
  return pino({ level, base: { pid: process.pid } });
}
