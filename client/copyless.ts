// The SDK's entry point, shaped like kafkajs's `Kafka` class:
//
//   const client = new Copyless({ brokers: ['127.0.0.1:9092'] });
//   const producer = client.producer(); await producer.connect();
//   await producer.send({ topic: 'demo', messages: [{ value: 'hello' }] });
//
// Each producer, consumer and admin gets its own connections (two per broker),
// as in kafkajs, so a consumer's fetch mode or long-polls never affect another.

import { CopylessError } from '../src/errors.ts';
import { CLIENT_CONNECT_TIMEOUT_MS_DEFAULT, CLIENT_REQUEST_TIMEOUT_MS_DEFAULT } from '../src/limits.ts';
import { Admin } from './admin.ts';
import { Cluster } from './cluster.ts';
import { Consumer } from './consumer.ts';
import type { ConsumerOptions } from './consumer-options.ts';
import { Producer } from './producer.ts';
import type { ProducerOptions } from './producer-types.ts';
import { type RetryOptions, resolveRetry } from './retry.ts';
import { checkSaslOptions, type SaslOptions } from './sasl.ts';

export interface CopylessConfig {
  /** Bootstrap brokers as host:port; the rest of the cluster is learned from Metadata. */
  brokers: string[];
  clientId?: string;
  connectTimeoutMs?: number;
  requestTimeoutMs?: number;
  retry?: Partial<RetryOptions>;
  /** SASL credentials for a broker whose Kafka port requires them (`saslUsers`): `{ mechanism: 'plain' | 'scram-sha-256', username, password }`. */
  sasl?: SaslOptions;
}

const CLIENT_ID_DEFAULT = 'copyless';

export class Copyless {
  private readonly brokers: string[];
  private readonly clientId: string;
  private readonly connectTimeoutMs: number;
  private readonly requestTimeoutMs: number;
  private readonly retry: RetryOptions;
  private readonly sasl: SaslOptions | undefined;
  private copyless = false;

  constructor(config: CopylessConfig) {
    if (config === null || typeof config !== 'object' || !Array.isArray(config.brokers) || config.brokers.length === 0) {
      throw new CopylessError('INVALID_CONFIG', 'new Copyless({ brokers }) needs at least one host:port', { field: 'brokers' });
    }
    this.brokers = [...config.brokers];
    this.clientId = config.clientId ?? CLIENT_ID_DEFAULT;
    this.connectTimeoutMs = positiveInt(config.connectTimeoutMs ?? CLIENT_CONNECT_TIMEOUT_MS_DEFAULT, 'connectTimeoutMs');
    this.requestTimeoutMs = positiveInt(config.requestTimeoutMs ?? CLIENT_REQUEST_TIMEOUT_MS_DEFAULT, 'requestTimeoutMs');
    this.retry = resolveRetry(config.retry);
    this.sasl = config.sasl === undefined ? undefined : checkSaslOptions(config.sasl);
    // Validates the addresses now rather than at the first connect.
    this.cluster();
  }

  /**
   * True once any connection of this client has seen a copyless broker in
   * ApiVersions (the extension APIs are advertised); false before the first
   * connect and against Kafka.
   */
  isCopyless(): boolean {
    return this.copyless;
  }

  producer(o: ProducerOptions = {}): Producer {
    return new Producer(this.cluster(), o);
  }

  consumer(o: ConsumerOptions = {}): Consumer {
    return new Consumer(this.cluster({ onFetchConnect: Consumer.fetchConnectHook(o) }), o);
  }

  admin(): Admin {
    return new Admin(this.cluster());
  }

  private cluster(extra: { onFetchConnect?: ConstructorParameters<typeof Cluster>[0]['onFetchConnect'] } = {}): Cluster {
    return new Cluster({
      brokers: this.brokers,
      clientId: this.clientId,
      connectTimeoutMs: this.connectTimeoutMs,
      requestTimeoutMs: this.requestTimeoutMs,
      retry: this.retry,
      sasl: this.sasl,
      onBrokerKind: (isCopyless) => {
        this.copyless = isCopyless;
      },
      ...extra,
    });
  }
}

function positiveInt(v: number, field: string): number {
  if (!Number.isInteger(v) || v <= 0) throw new CopylessError('INVALID_CONFIG', `${field} must be a positive integer, got ${v}`, { field });
  return v;
}
