// The client side of the group coordinator: FindCoordinator, then JoinGroup,
// SyncGroup, Heartbeat, LeaveGroup, OffsetCommit and OffsetFetch to the
// broker it names, plus the copyless group extension APIs.
//
// Like the Java client (which addresses its coordinator as a separate node so
// it gets a connection of its own), the coordinator gets a dedicated
// connection: a JoinGroup parks there for up to the rebalance timeout and a
// heartbeat must never queue behind a Fetch long-poll, so neither shares a
// socket with the consumer's fetches, produce or metadata requests. A second
// connection, to any bootstrap broker, carries FindCoordinator and the
// admin-style calls. Each connection learns its broker's versions from
// ApiVersions and requests go at the highest version both sides speak.
//
// When the coordinator moves or its connection drops (NOT_COORDINATOR,
// COORDINATOR_NOT_AVAILABLE, CONNECTION_CLOSED, ...) it is looked up again and
// the request retried with the client's back-off policy.

import { CopylessError, ErrorCode, toCopylessError } from '../../src/errors.ts';
import { ApiKey, API_NAMES } from '../../src/protocol/index.ts';
import type { CopylessJsonResponse, FindCoordinatorResponse } from '../../src/protocol/index.ts';
import { parseBrokerAddress } from '../cluster.ts';
import { kafkaError } from '../kafka-error.ts';
import { negotiateApiVersions, pickVersion, type VersionRange } from '../api-versions.ts';
import { saslAuthenticate, type SaslOptions } from '../sasl.ts';
import { type Codec, Connection } from '../connection.ts';
import { type RetryOptions, withRetry } from '../retry.ts';

/** What this client speaks of the group APIs: classic (non-flexible) versions only, as the rest of the SDK. */
export const GROUP_CLIENT_VERSIONS: ReadonlyMap<number, VersionRange> = new Map([
  [ApiKey.OffsetCommit, { min: 2, max: 5 }],
  [ApiKey.OffsetFetch, { min: 1, max: 4 }],
  [ApiKey.FindCoordinator, { min: 0, max: 2 }],
  [ApiKey.JoinGroup, { min: 0, max: 5 }],
  [ApiKey.Heartbeat, { min: 0, max: 3 }],
  [ApiKey.LeaveGroup, { min: 0, max: 3 }],
  [ApiKey.SyncGroup, { min: 0, max: 3 }],
  [ApiKey.CopylessGroups, { min: 0, max: 0 }],
  [ApiKey.CopylessResetOffsets, { min: 0, max: 0 }],
]);

/** Errors after which the coordinator is looked up again before a retry. */
const COORDINATOR_LOST_CODES: ReadonlySet<number> = new Set([
  ErrorCode.NOT_COORDINATOR,
  ErrorCode.COORDINATOR_NOT_AVAILABLE,
  ErrorCode.COORDINATOR_LOAD_IN_PROGRESS,
  ErrorCode.CONNECTION_CLOSED,
  ErrorCode.NETWORK_EXCEPTION,
  ErrorCode.REQUEST_TIMED_OUT,
]);

/** FindCoordinator key type of a consumer group (KIP-98). */
const KEY_TYPE_GROUP = 0;

export interface GroupClientOptions {
  brokers: string[];
  clientId: string;
  connectTimeoutMs: number;
  requestTimeoutMs: number;
  retry: RetryOptions;
  codec?: Codec;
  sasl?: SaslOptions;
}

export interface CallOptions {
  /** Time the broker may hold the request on top of requestTimeoutMs (a JoinGroup's rebalance timeout). */
  extraTimeoutMs?: number;
  /** False: one attempt only (heartbeats: the next one is the retry). */
  retry?: boolean;
}

interface Endpoint {
  address: string;
  connection: Connection;
  versions: Map<number, VersionRange>;
}

export class GroupClient {
  private readonly o: GroupClientOptions;
  private readonly bootstrap: string[];
  private readonly endpoints = new Map<string, Endpoint>();
  /** Coordinator address by group id. */
  private readonly coordinators = new Map<string, string>();
  private closed = false;

  constructor(o: GroupClientOptions) {
    this.o = o;
    this.bootstrap = o.brokers.map((b) => {
      const { host, port } = parseBrokerAddress(b);
      return `${host}:${port}`;
    });
  }

  /**
   * Sends one request to the coordinator of `groupId`. `errorCodeOf` reads the
   * response's group-level error: coordinator errors are retried after a new
   * lookup; every other answer (errors included) is returned to the caller.
   */
  async call<T>(groupId: string, apiKey: number, body: unknown, errorCodeOf: (res: T) => number, o: CallOptions = {}): Promise<T> {
    const retry = o.retry === false ? { ...this.o.retry, retries: 0 } : this.o.retry;
    const attempt = async (): Promise<T> => {
      try {
        const res = await this.send<T>(await this.coordinator(groupId), apiKey, body, o.extraTimeoutMs);
        const code = errorCodeOf(res);
        if (COORDINATOR_LOST_CODES.has(code)) throw kafkaError(code, `${API_NAMES.get(apiKey)} of group ${JSON.stringify(groupId)}`, { groupId });
        return res;
      } catch (e) {
        // Forgotten even without a retry here, so the next call (a heartbeat) looks the coordinator up again.
        if (COORDINATOR_LOST_CODES.has(toCopylessError(e).code)) this.coordinators.delete(groupId);
        throw e;
      }
    };
    return withRetry(retry, attempt, () => this.onRetriable());
  }

  /** One copyless JSON extension call (CopylessGroups, CopylessResetOffsets) to any broker. */
  async json<T>(apiKey: number, payload: unknown): Promise<T> {
    const res = await withRetry(
      this.o.retry,
      async () => {
        const endpoint = await this.anyEndpoint();
        if (!endpoint.versions.has(apiKey)) {
          throw new CopylessError('UNSUPPORTED_VERSION', `broker ${endpoint.address} does not offer ${API_NAMES.get(apiKey)}: it is not a copyless broker`, { apiKey });
        }
        return this.send<CopylessJsonResponse>(endpoint, apiKey, { json: JSON.stringify(payload) });
      },
      () => this.onRetriable(),
    );
    if (res.errorCode !== 0) throw kafkaError(res.errorCode, API_NAMES.get(apiKey) ?? `api ${apiKey}`, {}, res.errorMessage);
    return JSON.parse(res.json) as T;
  }

  async close(): Promise<void> {
    this.closed = true;
    const all = [...this.endpoints.values()];
    this.endpoints.clear();
    this.coordinators.clear();
    await Promise.all(all.map((e) => e.connection.close()));
  }

  // ---- endpoints ----------------------------------------------------------

  /** Stops retrying once the client was closed. */
  private onRetriable(): void {
    if (this.closed) throw new CopylessError('CONNECTION_CLOSED', 'the client was disconnected');
  }

  private async coordinator(groupId: string): Promise<Endpoint> {
    let address = this.coordinators.get(groupId);
    if (address === undefined) {
      address = await this.findCoordinator(groupId);
      this.coordinators.set(groupId, address);
    }
    return this.endpoint(address, 'coordinator');
  }

  private async findCoordinator(groupId: string): Promise<string> {
    const res = await this.send<FindCoordinatorResponse>(await this.anyEndpoint(), ApiKey.FindCoordinator, { key: groupId, keyType: KEY_TYPE_GROUP });
    if (res.errorCode !== 0) throw kafkaError(res.errorCode, `find the coordinator of group ${JSON.stringify(groupId)}`, { groupId }, res.errorMessage);
    return `${res.host}:${res.port}`;
  }

  /** A connected endpoint of any bootstrap broker, the one already connected first. */
  private async anyEndpoint(): Promise<Endpoint> {
    const connected = this.bootstrap.find((a) => this.endpoints.get(`${a}|any`)?.connection.isConnected);
    let last: unknown = null;
    for (const address of connected ? [connected] : this.bootstrap) {
      try {
        return await this.endpoint(address, 'any');
      } catch (e) {
        last = e;
      }
    }
    throw last ?? new CopylessError('CONNECTION_CLOSED', 'no broker is reachable');
  }

  private async endpoint(address: string, role: 'any' | 'coordinator'): Promise<Endpoint> {
    if (this.closed) throw new CopylessError('CONNECTION_CLOSED', 'the client was disconnected');
    const id = `${address}|${role}`;
    let e = this.endpoints.get(id);
    if (e === undefined) {
      const { host, port } = parseBrokerAddress(address);
      // Each (re)connect learns the broker's versions afresh before any request goes out.
      const learn = async (c: Connection) => {
        const versions = await negotiateApiVersions(c, address);
        if (this.o.sasl) await saslAuthenticate(c, versions, this.o.sasl, address);
        entry.versions = versions;
      };
      const connection = new Connection({
        host,
        port,
        clientId: this.o.clientId,
        connectTimeoutMs: this.o.connectTimeoutMs,
        requestTimeoutMs: this.o.requestTimeoutMs,
        // One connect attempt per call: the operation's own retry loop backs off.
        retry: { ...this.o.retry, retries: 0 },
        codec: this.o.codec,
        onConnect: learn,
      });
      const entry: Endpoint = { address, connection, versions: new Map() };
      this.endpoints.set(id, (e = entry));
    }
    await e.connection.connect();
    return e;
  }

  private send<T>(e: Endpoint, apiKey: number, body: unknown, extraTimeoutMs?: number): Promise<T> {
    return e.connection.request<T>(apiKey, pickVersion(GROUP_CLIENT_VERSIONS, e.versions, e.address, apiKey), body, { extraTimeoutMs });
  }
}
