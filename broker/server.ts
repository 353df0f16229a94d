// Wires a running broker together: storage and core, the Kafka listener, the
// HTTP/WebSocket server, and an orderly stop. Used by main.ts, by tests (port
// 0, temp data dir) and by the benchmark runner.

import type { Logger } from 'pino';
import { CopylessError } from '../src/errors.ts';
import { isModelledMode } from '../src/fetch/fetch-mode.ts';
import { exposureWarnings, resolveConfig, type BrokerConfig, type OptionName } from './config.ts';
import { Broker } from './broker.ts';
import { DataDirLock } from './data-dir-lock.ts';
import { GroupCoordinator } from './groups/coordinator.ts';
import { createLogger } from './logger.ts';
import { KafkaListener } from './kafka/listener.ts';
import { buildHandlers } from './kafka/registry.ts';
import { startHttp, type HttpServer } from './http/server.ts';
import { native } from './native/index.ts';

export interface RunningBroker {
  readonly host: string;
  readonly port: number;
  readonly httpPort: number | null;
  readonly broker: Broker;
  /** The consumer-group coordinator, over the broker's topics. */
  readonly groups: GroupCoordinator;
  readonly config: BrokerConfig;
  readonly logger: Logger;
  /** The Kafka listener (its connections and shared limits), for tests and the soak. */
  readonly kafka: KafkaListener;
  /** The HTTP/WebSocket server (its fastify app and gateway), null when httpPort is -1. */
  readonly http: HttpServer | null;
  close(): Promise<void>;
}

/**
 * Start a broker. `cfg` holds explicit option values (flags, or a test's
 * overrides); env vars and the config file apply only when given in `o`.
 */
export async function startBroker(
  cfg: Partial<Record<OptionName, unknown>>,
  o: { logLevel?: string; logger?: Logger; env?: NodeJS.ProcessEnv; configFile?: string | null } = {},
): Promise<RunningBroker> {
  const config = resolveConfig({ overrides: cfg, env: o.env, configFile: o.configFile });
  if (o.logLevel) config.logLevel = o.logLevel;
  const logger = o.logger ?? createLogger(config.logLevel);
  if (!native.available) {
    logger.warn({ reason: native.reason }, 'native fetch modes (native-sendfile, native-copy) are unavailable');
  }
  if (!isModelledMode(config.fetchMode) && !native.available) {
    throw new CopylessError('FETCH_MODE_UNAVAILABLE', `fetchMode ${config.fetchMode} needs the native addon, which is unavailable: ${native.reason}`, {
      field: 'fetchMode',
    });
  }
  for (const warning of exposureWarnings(config)) logger.warn({ host: config.host }, warning);
  // Before anything in the data dir is read or written (lmdb, the marker, the logs).
  const lock = await DataDirLock.acquire(config.dataDir);
  let broker: Broker | undefined;
  try {
    broker = new Broker(config, logger);
    broker.open();
  } catch (e) {
    await broker?.close({ cleanShutdown: false }).catch(() => {});
    await lock.release();
    throw e;
  }
  const groups = new GroupCoordinator({ catalog: broker, meta: broker.meta, logger });
  const listener = new KafkaListener(broker, buildHandlers(broker, groups), logger);
  let http: HttpServer | null = null;
  try {
    broker.kafkaPort = await listener.listen(config.host, config.port);
    logger.info({ host: config.host, port: broker.kafkaPort }, `Kafka listener listening on ${config.host}:${broker.kafkaPort}`);
    if (config.httpPort >= 0) http = await startHttp(broker, logger, { groups });
  } catch (e) {
    await listener.close().catch(() => {});
    await groups.close();
    // A failed start never writes the clean-shutdown marker.
    await broker.close({ cleanShutdown: false });
    await lock.release();
    throw e;
  }
  let closing: Promise<void> | null = null;
  return {
    host: config.host,
    port: broker.kafkaPort,
    httpPort: http?.port ?? null,
    broker,
    groups,
    config,
    logger,
    kafka: listener,
    http,
    close() {
      closing ??= (async () => {
        broker.closing = true;
        // First, so parked JoinGroup/SyncGroup requests are answered (NOT_COORDINATOR) instead of holding up the listener's drain.
        await groups.close();
        await Promise.all([listener.close(), http?.close()]);
        try {
          await broker.close();
        } finally {
          // Last: nothing of this broker touches the data dir after this.
          await lock.release();
        }
        logger.info('stopped');
      })();
      return closing;
    },
  };
}
