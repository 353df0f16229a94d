// What one producer, consumer or admin knows about the brokers: the bootstrap
// list, per-broker API versions (from ApiVersions), the Metadata cache (which
// broker leads which partition) and a pool of two connections per broker, as
// kafkajs keeps: `default` for produce, admin and (later) group heartbeats, and
// `fetch` for Fetch long-polls, so a long-poll never delays anything else.
//
// Requests are routed by partition leader; nothing assumes a single broker.
// Callers wrap operations in `retry`, which refreshes Metadata after an error
// that means the cache is stale (NOT_LEADER_OR_FOLLOWER, UNKNOWN_TOPIC_OR_PARTITION, ...).

import { CopylessError, ErrorCode } from '../src/errors.ts';
import { negotiateApiVersions, pickVersion, type VersionRange } from './api-versions.ts';
import { ApiKey } from '../src/protocol/index.ts';
import { Connection, type Codec } from './connection.ts';
import { kafkaError } from './kafka-error.ts';
import { saslAuthenticate, type SaslOptions } from './sasl.ts';
import { type RetryOptions, withRetry } from './retry.ts';

export type ConnectionKind = 'default' | 'fetch';

export type { VersionRange } from './api-versions.ts';

/** The versions this client can speak, per API (classic, non-flexible encodings only). */
export const CLIENT_VERSIONS: ReadonlyMap<number, VersionRange> = new Map([
  [ApiKey.Produce, { min: 3, max: 7 }],
  [ApiKey.Fetch, { min: 4, max: 11 }],
  [ApiKey.ListOffsets, { min: 1, max: 3 }],
  [ApiKey.Metadata, { min: 1, max: 6 }],
  [ApiKey.ApiVersions, { min: 0, max: 2 }],
  [ApiKey.CreateTopics, { min: 0, max: 3 }],
  [ApiKey.DeleteTopics, { min: 0, max: 3 }],
  [ApiKey.CopylessBrokerInfo, { min: 0, max: 0 }],
  [ApiKey.CopylessSetFetchMode, { min: 0, max: 0 }],
  [ApiKey.CopylessStats, { min: 0, max: 0 }],
  [ApiKey.CopylessDescribeTopics, { min: 0, max: 0 }],
  [ApiKey.CopylessDropCaches, { min: 0, max: 0 }],
  [ApiKey.CopylessFetch, { min: 0, max: 0 }],
]);

/** Errors after which the Metadata cache is refreshed before retrying. */
const STALE_METADATA_CODES: ReadonlySet<number> = new Set([
  ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
  ErrorCode.LEADER_NOT_AVAILABLE,
  ErrorCode.NOT_LEADER_OR_FOLLOWER,
  ErrorCode.REPLICA_NOT_AVAILABLE,
  ErrorCode.CONNECTION_CLOSED,
  ErrorCode.NETWORK_EXCEPTION,
  ErrorCode.FENCED_LEADER_EPOCH,
  ErrorCode.UNKNOWN_LEADER_EPOCH,
]);

export interface BrokerAddress {
  nodeId: number;
  host: string;
  port: number;
}

export interface PartitionMetadata {
  partition: number;
  leader: number;
  errorCode: number;
}

export interface TopicMetadata {
  name: string;
  errorCode: number;
  /** Sorted by partition index. */
  partitions: PartitionMetadata[];
}

export interface ClusterOptions {
  brokers: string[];
  clientId: string;
  connectTimeoutMs: number;
  requestTimeoutMs: number;
  retry: RetryOptions;
  codec?: Codec;
  /** Runs after the handshake of every `fetch` connection (e.g. CopylessSetFetchMode). */
  onFetchConnect?: (connection: Connection, cluster: Cluster) => Promise<void>;
  /** Told the broker kind after each ApiVersions (the client's `isCopyless()`). */
  onBrokerKind?: (isCopyless: boolean) => void;
  /** SASL credentials: every connection authenticates right after ApiVersions. */
  sasl?: SaslOptions;
}

export interface SendOptions {
  kind?: ConnectionKind;
  expectResponse?: boolean;
  extraTimeoutMs?: number;
}

interface MetadataBroker {
  nodeId: number;
  host: string;
  port: number;
}
interface MetadataResponseBody {
  brokers: MetadataBroker[];
  controllerId: number;
  topics: { errorCode: number; name: string; partitions: { errorCode: number; partitionIndex: number; leaderId: number }[] }[];
}

export function parseBrokerAddress(s: string): { host: string; port: number } {
  const m = /^\[?([^\]]*?)\]?:(\d{1,5})$/.exec(s.trim());
  const port = m ? Number(m[2]) : NaN;
  if (!m || m[1] === '' || !(port > 0 && port < 65536)) {
    throw new CopylessError('INVALID_CONFIG', `broker address ${JSON.stringify(s)} is not host:port`, { field: 'brokers' });
  }
  return { host: m[1], port };
}

export class Cluster {
  readonly o: ClusterOptions;
  private readonly bootstrap: { host: string; port: number }[];
  private readonly connections = new Map<string, Connection>();
  private readonly versionsByAddress = new Map<string, Map<number, VersionRange>>();
  private brokersById = new Map<number, BrokerAddress>();
  private readonly topics = new Map<string, TopicMetadata>();
  private controllerId = -1;
  private copyless: boolean | null = null;
  private closed = false;

  constructor(o: ClusterOptions) {
    if (!Array.isArray(o.brokers) || o.brokers.length === 0) {
      throw new CopylessError('INVALID_CONFIG', 'brokers must list at least one host:port', { field: 'brokers' });
    }
    this.o = o;
    this.bootstrap = o.brokers.map(parseBrokerAddress);
  }

  /** True once a broker answered ApiVersions with the copyless extension APIs; null before any handshake. */
  get isCopyless(): boolean | null {
    return this.copyless;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Connects to the first reachable bootstrap broker and loads the broker list. */
  async connect(): Promise<void> {
    this.closed = false;
    await this.retry(() => this.refreshMetadata([]));
  }

  async disconnect(): Promise<void> {
    this.closed = true;
    const all = [...this.connections.values()];
    this.connections.clear();
    await Promise.all(all.map((c) => c.close()));
  }

  /**
   * Runs `fn` with the client's retry policy; refreshes Metadata after an error
   * that means the cache is stale. Stops at once when the cluster was disconnected.
   */
  retry<T>(fn: (attempt: number) => Promise<T>, topics?: string[]): Promise<T> {
    return withRetry(this.o.retry, fn, async (e) => {
      if (this.closed) throw new CopylessError('CONNECTION_CLOSED', 'the client was disconnected');
      if (STALE_METADATA_CODES.has(e.code) && topics !== undefined) {
        await this.refreshMetadata(topics).catch(() => undefined);
      }
    });
  }

  // ---- metadata ---------------------------------------------------------

  /**
   * Reloads brokers and the given topics (null: every topic). With
   * `allowAutoTopicCreation` a broker configured to do so creates missing topics.
   */
  async refreshMetadata(topics: string[] | null, allowAutoTopicCreation = false): Promise<void> {
    const { connection, address } = await this.anyConnection();
    const version = this.pickVersion(address, ApiKey.Metadata);
    const body = { topics: topics === null ? null : topics.map((name) => ({ name })), allowAutoTopicCreation };
    const res = await connection.request<MetadataResponseBody>(ApiKey.Metadata, version, body);
    this.applyMetadata(res);
  }

  private applyMetadata(res: MetadataResponseBody): void {
    const brokers = new Map<number, BrokerAddress>();
    for (const b of res.brokers) brokers.set(b.nodeId, { nodeId: b.nodeId, host: b.host, port: b.port });
    this.brokersById = brokers;
    this.controllerId = res.controllerId;
    for (const t of res.topics) {
      const partitions = t.partitions
        .map((p) => ({ partition: p.partitionIndex, leader: p.leaderId, errorCode: p.errorCode }))
        .sort((a, b) => a.partition - b.partition);
      if (t.errorCode === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION) this.topics.delete(t.name);
      else this.topics.set(t.name, { name: t.name, errorCode: t.errorCode, partitions });
    }
  }

  /** Metadata of `topics`, fetched (and auto-created if allowed) when missing or leaderless. */
  async topicMetadata(topics: string[], allowAutoTopicCreation = false): Promise<TopicMetadata[]> {
    return this.retry(async () => {
      if (topics.some((t) => !this.isUsable(this.topics.get(t)))) {
        await this.refreshMetadata(topics, allowAutoTopicCreation);
      }
      return topics.map((t) => this.usableTopic(t));
    });
  }

  private isUsable(t: TopicMetadata | undefined): boolean {
    return t !== undefined && t.errorCode === 0 && t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0);
  }

  private usableTopic(name: string): TopicMetadata {
    const t = this.topics.get(name);
    if (t === undefined) {
      throw new CopylessError('UNKNOWN_TOPIC_OR_PARTITION', `topic ${JSON.stringify(name)} does not exist`, { topic: name });
    }
    if (t.errorCode !== 0) throw kafkaError(t.errorCode, `metadata for topic ${JSON.stringify(name)}`, { topic: name });
    const leaderless = t.partitions.find((p) => p.leader < 0);
    if (t.partitions.length === 0 || leaderless) {
      throw new CopylessError('LEADER_NOT_AVAILABLE', `topic ${JSON.stringify(name)} has a partition without a leader`, {
        topic: name,
        partition: leaderless?.partition,
      });
    }
    return t;
  }

  /** Cached metadata only (no request); undefined when unknown. */
  cachedTopic(name: string): TopicMetadata | undefined {
    return this.topics.get(name);
  }

  knownTopics(): string[] {
    return [...this.topics.keys()];
  }

  leaderOf(topic: string, partition: number): number {
    const p = this.usableTopic(topic).partitions.find((x) => x.partition === partition);
    if (p === undefined) {
      throw new CopylessError('UNKNOWN_TOPIC_OR_PARTITION', `topic ${JSON.stringify(topic)} has no partition ${partition}`, {
        topic,
        partition,
      });
    }
    return p.leader;
  }

  brokers(): BrokerAddress[] {
    return [...this.brokersById.values()];
  }

  /** The controller from the last Metadata (CreateTopics and DeleteTopics go there). */
  get controller(): number {
    return this.controllerId;
  }

  // ---- connections and versions -------------------------------------------

  /** Sends one request to broker `nodeId`, choosing the highest version both sides speak. */
  async send<T>(nodeId: number, apiKey: number, body: unknown, o: SendOptions = {}): Promise<T> {
    const broker = this.brokersById.get(nodeId);
    if (broker === undefined) {
      throw new CopylessError('BROKER_NOT_AVAILABLE', `broker ${nodeId} is not in the cluster metadata`, { nodeId });
    }
    return this.sendTo(`${broker.host}:${broker.port}`, apiKey, body, o);
  }

  /** Sends to whichever broker is reachable (for cluster-wide extension APIs). */
  async sendAny<T>(apiKey: number, body: unknown, o: SendOptions = {}): Promise<T> {
    const { address } = await this.anyConnection();
    return this.sendTo(address, apiKey, body, o);
  }

  /** The connection to broker `nodeId` of the given kind, connected and handshaken. */
  async connectionTo(nodeId: number, kind: ConnectionKind = 'default'): Promise<Connection> {
    const broker = this.brokersById.get(nodeId);
    if (broker === undefined) {
      throw new CopylessError('BROKER_NOT_AVAILABLE', `broker ${nodeId} is not in the cluster metadata`, { nodeId });
    }
    const connection = this.connection(`${broker.host}:${broker.port}`, kind);
    await connection.connect();
    return connection;
  }

  /** Highest version of `apiKey` both this client and the broker at `address` speak. */
  pickVersion(address: string, apiKey: number): number {
    return pickVersion(CLIENT_VERSIONS, this.versionsByAddress.get(address), address, apiKey);
  }

  /** True when the broker at `address` advertises `apiKey` (after its handshake). */
  supports(address: string, apiKey: number): boolean {
    return this.versionsByAddress.get(address)?.has(apiKey) ?? false;
  }

  addressOf(nodeId: number): string {
    const b = this.brokersById.get(nodeId);
    if (b === undefined) throw new CopylessError('BROKER_NOT_AVAILABLE', `broker ${nodeId} is not in the cluster metadata`, { nodeId });
    return `${b.host}:${b.port}`;
  }

  private async sendTo<T>(address: string, apiKey: number, body: unknown, o: SendOptions): Promise<T> {
    const connection = this.connection(address, o.kind ?? 'default');
    await connection.connect();
    const version = this.pickVersion(address, apiKey);
    return connection.request<T>(apiKey, version, body, { expectResponse: o.expectResponse, extraTimeoutMs: o.extraTimeoutMs });
  }

  /** A connected default connection to any broker: known brokers first, then the bootstrap list. */
  private async anyConnection(): Promise<{ connection: Connection; address: string }> {
    const candidates = [...this.brokersById.values(), ...this.bootstrap].map((b) => `${b.host}:${b.port}`);
    const connected = candidates.find((a) => this.connections.get(`${a}|default`)?.isConnected);
    const ordered = connected ? [connected] : [...new Set(candidates)];
    let last: unknown = null;
    for (const address of ordered) {
      const connection = this.connection(address, 'default');
      try {
        await connection.connect();
        return { connection, address };
      } catch (e) {
        last = e;
      }
    }
    throw last ?? new CopylessError('CONNECTION_CLOSED', 'no broker is reachable');
  }

  private connection(address: string, kind: ConnectionKind): Connection {
    if (this.closed) throw new CopylessError('CONNECTION_CLOSED', 'the client was disconnected');
    const id = `${address}|${kind}`;
    let c = this.connections.get(id);
    if (c === undefined) {
      const { host, port } = parseBrokerAddress(address);
      c = new Connection({
        host,
        port,
        clientId: this.o.clientId,
        connectTimeoutMs: this.o.connectTimeoutMs,
        requestTimeoutMs: this.o.requestTimeoutMs,
        // One connect attempt per call here: the operation's own retry loop backs off.
        retry: { ...this.o.retry, retries: 0 },
        codec: this.o.codec,
        onConnect: (conn) => this.handshake(conn, address, kind),
      });
      this.connections.set(id, c);
    }
    return c;
  }

  /** ApiVersions, then the kind's own setup. */
  private async handshake(connection: Connection, address: string, kind: ConnectionKind): Promise<void> {
    const versions = await negotiateApiVersions(connection, address);
    if (this.o.sasl) await saslAuthenticate(connection, versions, this.o.sasl, address);
    this.versionsByAddress.set(address, versions);
    this.copyless = versions.has(ApiKey.CopylessBrokerInfo) && versions.has(ApiKey.CopylessFetch);
    this.o.onBrokerKind?.(this.copyless);
    if (kind === 'fetch') await this.o.onFetchConnect?.(connection, this);
  }
}
