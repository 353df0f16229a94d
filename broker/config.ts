// Broker configuration: one table of options, read from (lowest to highest
// precedence) built-in defaults, an optional JSON config file, COPYLESS_* env
// vars, and command-line flags. Flags are the kebab-case option names
// (`pageCacheMb` -> `--page-cache-mb`), env vars the upper snake case
// (`COPYLESS_PAGE_CACHE_MB`). Every option is validated here, once, with an
// error naming the option and its bound.

import fs from 'node:fs';
import { CopylessError } from '../src/errors.ts';
import {
  BATCH_BYTES_MAX_CEILING,
  BATCH_BYTES_MAX_DEFAULT,
  CONNECTION_STALL_MS_DEFAULT,
  CONNECTIONS_MAX_DEFAULT,
  CONNECTIONS_MAX_IDLE_MS_DEFAULT,
  FETCH_PAGE_CACHE_SHARE_MAX,
  FRAME_BYTES_MAX_DEFAULT,
  HTTP_HELD_BYTES_MAX_DEFAULT,
  PAGE_CACHE_BYTES_DEFAULT,
  PAGE_CACHE_BYTES_MAX,
  PAGE_CACHE_BYTES_MIN,
  PARTITIONS_MAX,
  QUEUED_REQUEST_BYTES_MAX_DEFAULT,
  SEGMENT_BYTES_DEFAULT,
  SEGMENT_BYTES_MAX,
  SEGMENT_BYTES_MIN,
  SEGMENT_MS_DEFAULT,
} from '../src/limits.ts';
import { FETCH_MODES, type FetchMode } from '../src/fetch/fetch-mode.ts';

const MiB = 1024 * 1024;

type Kind = 'string' | 'int' | 'number' | 'bool' | 'fetchMode' | 'policy' | 'nullableString' | 'nullableBool' | 'users' | 'logLevel';

/** pino's levels, lowest volume last. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

interface OptionSpec {
  kind: Kind;
  default: unknown;
  description: string;
  min?: number;
  max?: number;
}

/** Every broker option: its type, default, bounds and a one-line description (the README table is generated from this). */
export const OPTIONS = {
  dataDir: { kind: 'string', default: './data', description: 'Directory holding segment files, checkpoints and the lmdb metadata store' },
  host: { kind: 'string', default: '127.0.0.1', description: 'Interface the Kafka and HTTP listeners bind to (loopback unless told otherwise)' },
  advertisedHost: { kind: 'nullableString', default: null, description: 'Host name given to clients in Metadata; defaults to host' },
  port: { kind: 'int', default: 9092, min: 0, max: 65535, description: 'Kafka wire-protocol port (0 = any free port)' },
  httpPort: { kind: 'int', default: 9080, min: -1, max: 65535, description: 'HTTP/WebSocket port (0 = any free port, -1 = disabled)' },
  brokerId: { kind: 'int', default: 0, min: 0, max: 2 ** 31 - 1, description: 'Node id reported in Metadata' },
  fetchMode: { kind: 'fetchMode', default: 'sendfile', description: `Default fetch mode for new connections: ${FETCH_MODES.join(', ')}` },
  sgDma: { kind: 'nullableBool', default: null, description: 'Scatter/gather DMA assumption for sendfile and splice, modelled and native (true: zero CPU copies); unset: ask the device the listener binds to (docs/zero-copy.md)' },
  pageCacheMb: { kind: 'int', default: PAGE_CACHE_BYTES_DEFAULT / MiB, min: Math.ceil(PAGE_CACHE_BYTES_MIN / MiB), max: PAGE_CACHE_BYTES_MAX / MiB, description: 'Simulated page-cache capacity in MiB' },
  pageCachePolicy: { kind: 'policy', default: 'two-list', description: "Simulated reclaim policy: 'two-list' (Linux active/inactive) or 'lru'" },
  segmentBytes: { kind: 'int', default: SEGMENT_BYTES_DEFAULT, min: SEGMENT_BYTES_MIN, max: SEGMENT_BYTES_MAX, description: 'Segment size before rolling' },
  segmentMs: { kind: 'int', default: SEGMENT_MS_DEFAULT, min: 1, max: Number.MAX_SAFE_INTEGER, description: 'Segment age before rolling' },
  retentionBytes: { kind: 'int', default: -1, min: -1, max: Number.MAX_SAFE_INTEGER, description: 'Per-partition size above which the oldest segments are deleted (-1 = unlimited)' },
  retentionMs: { kind: 'int', default: 7 * 24 * 3600 * 1000, min: -1, max: Number.MAX_SAFE_INTEGER, description: 'Age after which closed segments are deleted (-1 = unlimited)' },
  flushIntervalMessages: { kind: 'number', default: Infinity, min: 1, max: Infinity, description: 'fsync after this many messages (Kafka flush.messages; default never)' },
  flushIntervalMs: { kind: 'number', default: Infinity, min: 1, max: Infinity, description: 'fsync at least this often (Kafka flush.ms; default never)' },
  messageBytesMax: { kind: 'int', default: BATCH_BYTES_MAX_DEFAULT, min: 1024, max: BATCH_BYTES_MAX_CEILING, description: 'Largest record batch accepted (Kafka max.message.bytes)' },
  frameBytesMax: { kind: 'int', default: FRAME_BYTES_MAX_DEFAULT, min: 64 * 1024, max: 1024 * MiB, description: 'Largest Kafka request frame accepted' },
  connectionsMax: { kind: 'int', default: CONNECTIONS_MAX_DEFAULT, min: 1, max: 65536, description: 'Most simultaneous Kafka connections' },
  connectionsMaxIdleMs: { kind: 'int', default: CONNECTIONS_MAX_IDLE_MS_DEFAULT, min: 10, max: 2 ** 31 - 1, description: 'Close a Kafka connection with nothing in flight and no bytes in or out for this long (Kafka connections.max.idle.ms)' },
  connectionStallMs: { kind: 'int', default: CONNECTION_STALL_MS_DEFAULT, min: 10, max: 2 ** 31 - 1, description: 'Close a Kafka connection or HTTP answer whose pending response bytes have not drained (no write finished) for this long' },
  queuedRequestBytesMax: { kind: 'int', default: QUEUED_REQUEST_BYTES_MAX_DEFAULT, min: 64 * 1024, max: 16 * 1024 * MiB, description: 'Broker-wide bytes of Kafka request frames being read or handled; past it the broker stops reading sockets (Kafka queued.max.request.bytes)' },
  autoCreateTopics: { kind: 'bool', default: true, description: 'Create unknown topics on Metadata requests (Kafka auto.create.topics.enable)' },
  defaultPartitions: { kind: 'int', default: 1, min: 1, max: PARTITIONS_MAX, description: 'Partitions of an auto-created topic' },
  httpToken: { kind: 'nullableString', default: null, description: 'Bearer token required on every HTTP route but /healthz when set' },
  httpBodyBytesMax: { kind: 'int', default: 8 * MiB, min: 1024, max: 256 * MiB, description: 'Largest HTTP request body accepted' },
  httpHeldBytesMax: { kind: 'int', default: HTTP_HELD_BYTES_MAX_DEFAULT, min: 64 * 1024, max: 16 * 1024 * MiB, description: 'Broker-wide bytes of HTTP answers allocated and not yet taken by slow readers; answers wait for room' },
  saslUsers: { kind: 'users', default: null, description: 'SASL users of the Kafka port as user:password[,user:password] (a JSON object in --config); when set, every Kafka connection must authenticate (SASL/PLAIN or SCRAM-SHA-256)' },
  logLevel: { kind: 'logLevel', default: 'info', description: 'pino log level (fatal, error, warn, info, debug, trace, silent)' },
} as const satisfies Record<string, OptionSpec>;

export type OptionName = keyof typeof OPTIONS;

export interface BrokerConfig {
  dataDir: string;
  host: string;
  advertisedHost: string | null;
  port: number;
  httpPort: number;
  brokerId: number;
  fetchMode: FetchMode;
  /** null: detect from the listener's device (broker/sg-dma.ts). */
  sgDma: boolean | null;
  pageCacheMb: number;
  pageCachePolicy: 'two-list' | 'lru';
  segmentBytes: number;
  segmentMs: number;
  retentionBytes: number;
  retentionMs: number;
  flushIntervalMessages: number;
  flushIntervalMs: number;
  messageBytesMax: number;
  frameBytesMax: number;
  connectionsMax: number;
  connectionsMaxIdleMs: number;
  connectionStallMs: number;
  queuedRequestBytesMax: number;
  autoCreateTopics: boolean;
  defaultPartitions: number;
  httpToken: string | null;
  httpBodyBytesMax: number;
  httpHeldBytesMax: number;
  /** SASL users by name (password); null: the Kafka port needs no authentication. */
  saslUsers: Record<string, string> | null;
  logLevel: string;
}

export function kebab(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

export function envName(name: string): string {
  return `COPYLESS_${name.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`;
}

function invalid(name: string, message: string): CopylessError {
  return new CopylessError('INVALID_CONFIG', `${name} (--${kebab(name)}, ${envName(name)}): ${message}`, { field: name });
}

/** Parse one option value from a string (flag or env var) or a JSON value (config file). */
export function parseOption(name: OptionName, raw: unknown): unknown {
  const spec: OptionSpec = OPTIONS[name];
  if (raw === null && (spec.kind === 'nullableString' || spec.kind === 'nullableBool' || spec.kind === 'users')) return null;
  switch (spec.kind) {
    case 'users':
      return parseUsers(name, raw);
    case 'string':
    case 'nullableString':
      if (typeof raw !== 'string' || raw.length === 0) throw invalid(name, 'expected a non-empty string');
      return raw;
    case 'bool':
    case 'nullableBool': {
      if (spec.kind === 'nullableBool' && (raw === 'auto' || raw === 'detect')) return null;
      if (typeof raw === 'boolean') return raw;
      if (raw === 'true' || raw === '1' || raw === 'yes' || raw === 'on') return true;
      if (raw === 'false' || raw === '0' || raw === 'no' || raw === 'off') return false;
      throw invalid(name, `expected true or false${spec.kind === 'nullableBool' ? ' (or auto)' : ''}, got ${JSON.stringify(raw)}`);
    }
    case 'fetchMode':
      if (typeof raw !== 'string' || !(FETCH_MODES as readonly string[]).includes(raw)) {
        throw invalid(name, `expected one of ${FETCH_MODES.join(', ')}, got ${JSON.stringify(raw)}`);
      }
      return raw;
    case 'policy':
      if (raw !== 'two-list' && raw !== 'lru') throw invalid(name, `expected two-list or lru, got ${JSON.stringify(raw)}`);
      return raw;
    case 'logLevel':
      if (typeof raw !== 'string' || !(LOG_LEVELS as readonly string[]).includes(raw)) {
        throw invalid(name, `expected one of ${LOG_LEVELS.join(', ')}, got ${JSON.stringify(raw)}`);
      }
      return raw;
    case 'int':
    case 'number': {
      const n = typeof raw === 'number' ? raw : raw === 'Infinity' || raw === 'never' ? Infinity : Number(raw);
      if (Number.isNaN(n) || (spec.kind === 'int' && !Number.isInteger(n))) {
        throw invalid(name, `expected ${spec.kind === 'int' ? 'an integer' : 'a number'}, got ${JSON.stringify(raw)}`);
      }
      if (spec.min !== undefined && n < spec.min) throw invalid(name, `${n} is below the minimum ${spec.min}`);
      if (spec.max !== undefined && n > spec.max) throw invalid(name, `${n} is above the maximum ${spec.max}`);
      return n;
    }
  }
}

/**
 * SASL users: `user:password[,user:password]` (a flag or env var; the password
 * runs to the next comma) or a JSON object `{"user": "password"}` (config file).
 */
function parseUsers(name: string, raw: unknown): Record<string, string> {
  let entries: [string, unknown][];
  if (typeof raw === 'string') {
    entries = raw.split(',').map((pair) => {
      const at = pair.indexOf(':');
      if (at <= 0) throw invalid(name, 'expected user:password[,user:password]');
      return [pair.slice(0, at), pair.slice(at + 1)];
    });
  } else if (typeof raw === 'object' && raw !== null && !Array.isArray(raw)) {
    entries = Object.entries(raw);
  } else {
    throw invalid(name, 'expected user:password[,user:password] or a JSON object of user names to passwords');
  }
  if (entries.length === 0) throw invalid(name, 'names no user');
  for (const [user, password] of entries) {
    if (user.length === 0 || typeof password !== 'string' || password.length === 0) {
      throw invalid(name, `user ${JSON.stringify(user)} needs a non-empty name and password`);
    }
  }
  return Object.fromEntries(entries) as Record<string, string>;
}

/** True for an address only this machine can reach (127.0.0.0/8, ::1, localhost). */
export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/**
 * What is reachable without credentials when the broker binds beyond loopback:
 * one warning per open port, for the start-up log.
 */
export function exposureWarnings(cfg: BrokerConfig): string[] {
  if (isLoopbackHost(cfg.host)) return [];
  const out: string[] = [];
  if (!cfg.saslUsers) {
    out.push(
      `SECURITY: the Kafka port listens on ${cfg.host} with no authentication: anyone who can reach it can produce, consume and delete topics. ` +
        'Set --sasl-users (and put TLS in front, see docs/security.md), or bind --host 127.0.0.1',
    );
  }
  if (cfg.httpPort >= 0 && !cfg.httpToken) {
    out.push(`SECURITY: the HTTP/WebSocket port listens on ${cfg.host} with no --http-token: anyone who can reach it can use the whole API`);
  }
  return out;
}

/** The configuration as shown to clients (HTTP /broker/config, CopylessBrokerInfo): secrets masked. */
export function publicConfig(cfg: BrokerConfig): Record<string, unknown> {
  return {
    ...cfg,
    httpToken: cfg.httpToken ? '***' : null,
    saslUsers: cfg.saslUsers ? Object.fromEntries(Object.keys(cfg.saslUsers).map((user) => [user, '***'])) : null,
  };
}

export function defaultConfig(): BrokerConfig {
  return Object.fromEntries(Object.entries(OPTIONS).map(([k, v]) => [k, v.default])) as unknown as BrokerConfig;
}

/**
 * Resolve the configuration: defaults < config file < env < explicit values
 * (flags, or a test's overrides). Unknown keys in the file are refused so a
 * typo never silently falls back to a default.
 */
export function resolveConfig(o: {
  overrides?: Partial<Record<OptionName, unknown>>;
  env?: NodeJS.ProcessEnv;
  configFile?: string | null;
}): BrokerConfig {
  const cfg = defaultConfig() as unknown as Record<string, unknown>;
  const names = Object.keys(OPTIONS) as OptionName[];
  if (o.configFile) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(fs.readFileSync(o.configFile, 'utf8'));
    } catch (e) {
      throw new CopylessError('INVALID_CONFIG', `config file ${o.configFile}: ${(e as Error).message}`, { field: 'config' });
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw new CopylessError('INVALID_CONFIG', `config file ${o.configFile}: expected a JSON object`, { field: 'config' });
    }
    for (const [k, v] of Object.entries(parsed)) {
      if (!(k in OPTIONS)) throw new CopylessError('INVALID_CONFIG', `config file ${o.configFile}: unknown option ${k}`, { field: k });
      cfg[k] = parseOption(k as OptionName, v);
    }
  }
  const env = o.env ?? {};
  for (const name of names) {
    const v = env[envName(name)];
    if (v !== undefined && v !== '') cfg[name] = parseOption(name, v);
  }
  for (const [k, v] of Object.entries(o.overrides ?? {})) {
    if (v === undefined) continue;
    if (!(k in OPTIONS)) throw new CopylessError('INVALID_CONFIG', `unknown option ${k}`, { field: k });
    cfg[k] = parseOption(k as OptionName, v);
  }
  checkRelations(cfg as unknown as BrokerConfig);
  return cfg as unknown as BrokerConfig;
}

/**
 * Options that must agree with each other. A fetch reads at most
 * FETCH_PAGE_CACHE_SHARE_MAX of the simulated page cache, but always at least
 * one whole batch (KIP-74), so the largest batch must fit in that share or a
 * zero-copy fetch of it could pin more pages than the cache can give.
 */
function checkRelations(cfg: BrokerConfig): void {
  if (cfg.queuedRequestBytesMax < cfg.frameBytesMax) {
    throw new CopylessError(
      'INVALID_CONFIG',
      `queuedRequestBytesMax=${cfg.queuedRequestBytesMax} must hold at least one frame of frameBytesMax=${cfg.frameBytesMax}: raise --queued-request-bytes-max or lower --frame-bytes-max`,
      { field: 'queuedRequestBytesMax', limit: 'frameBytesMax', max: cfg.frameBytesMax, actual: cfg.queuedRequestBytesMax },
    );
  }
  const shareBytes = Math.floor(cfg.pageCacheMb * MiB * FETCH_PAGE_CACHE_SHARE_MAX);
  if (cfg.messageBytesMax > shareBytes) {
    throw new CopylessError(
      'INVALID_CONFIG',
      `messageBytesMax=${cfg.messageBytesMax} must fit in a fetch's share of the page cache ` +
        `(pageCacheMb=${cfg.pageCacheMb} x ${FETCH_PAGE_CACHE_SHARE_MAX} = ${shareBytes} bytes): raise --page-cache-mb or lower --message-bytes-max`,
      { field: 'messageBytesMax', limit: 'FETCH_PAGE_CACHE_SHARE_MAX', max: shareBytes, actual: cfg.messageBytesMax },
    );
  }
}
