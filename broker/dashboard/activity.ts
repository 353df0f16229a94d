// What the broker is doing, as the dashboard shows it: the Kafka connections
// and their fetch modes, the last fetch of every mode and every connection
// (with that fetch's own accounting, for the fetch-path drawing), and per-topic
// and per-mode record counters (cumulative; a reader turns two readings into
// rates). Fed by the broker core (every produce, every served fetch) and by
// the Kafka listener (connections); read by the stats channel and GET /broker/activity.
//
// Fetched records are counted from the batch headers of the bytes a modelled
// mode handed to the socket (views or the copy, already in memory: no extra
// page-cache read): the records of every whole batch. Native modes send file
// ranges the broker never reads, so their records are estimated from the bytes
// and the partition's average record size, and counted apart as estimated.

import { ACTIVITY_CONNECTIONS_LISTED_MAX } from '../../src/limits.ts';
import { FETCH_MODES, isModelledMode, type FetchMode } from '../../src/fetch/fetch-mode.ts';
import { scanBatches } from '../http/batch-scan.ts';
import type { ServedRecords } from '../fetch-serving.ts';
import type { ConnectionActivity, FetchTrace, NativeCalls } from './messages.ts';

/** A Kafka connection as the listener keeps it (ConnectionState): read live, so a CopylessSetFetchMode shows at once. */
export interface TrackedConnection {
  readonly id: number;
  readonly remote: string;
  readonly clientId: string | null;
  readonly fetchMode: FetchMode;
  readonly sgDma: boolean;
}

/** The part of a fetch result the activity reads: which partitions returned which slice. */
export interface WatchedFetch {
  partitions: ReadonlyArray<{ topic: string; partition: number; slice: { firstOffset: number; length: number } | null }>;
}

interface ConnectionEntry {
  conn: TrackedConnection;
  connectedAt: number;
  fetches: number;
  lastFetch: FetchTrace | null;
}

export interface TopicCounters {
  producedRecords: number;
  producedBytes: number;
  fetchedRecords: number;
  fetchedBytes: number;
  fetchedRecordsEstimated: number;
}

export class BrokerActivity {
  private readonly connections = new Map<number, ConnectionEntry>();
  private readonly lastByMode = new Map<FetchMode, FetchTrace>();
  private readonly topics = new Map<string, TopicCounters>();
  private readonly modeRecords = new Map<FetchMode, number>(FETCH_MODES.map((m) => [m, 0]));
  /** Open WebSocket connections (the gateway counts them). */
  webSockets = 0;

  /**
   * @param recordsPerByte the partition's records per stored byte, for native
   *   fetches whose bytes the broker never reads (0 when unknown).
   */
  constructor(
    private readonly recordsPerByte: (topic: string, partition: number) => number,
    private readonly now: () => number = Date.now,
  ) {}

  connectionOpened(conn: TrackedConnection): void {
    this.connections.set(conn.id, { conn, connectedAt: this.now(), fetches: 0, lastFetch: null });
  }

  connectionClosed(id: number): void {
    this.connections.delete(id);
  }

  produced(topic: string, records: number, bytes: number): void {
    const c = this.countersOf(topic);
    c.producedRecords += records;
    c.producedBytes += bytes;
  }

  /** Forget the counters of topics that no longer exist. */
  prune(existing: (topic: string) => boolean): void {
    for (const topic of this.topics.keys()) if (!existing(topic)) this.topics.delete(topic);
  }

  /**
   * Record the fetch when its accounting is completed (the adapter calls
   * complete() once it knows the header bytes and, for native modes, the real
   * calls): that is when the bytes handed to the socket are final and still
   * pinned. Returns `served`, whose complete() now also records.
   */
  watch(fetch: WatchedFetch, served: ServedRecords, o: { connection: number | null; sgDma: boolean }): ServedRecords {
    const complete = served.complete.bind(served);
    const release = served.release.bind(served);
    let real: NativeCalls | null = null;
    let done = false;
    served.complete = (args) => {
      if (args.real) real = args.real;
      return complete(args);
    };
    // Recorded when the bytes were written, like the per-mode stats (a response lost with its connection is not
    // counted), and before the original release unpins the views the trace reads.
    served.release = (args) => {
      if (!done) {
        done = true;
        if (args?.sent ?? true) {
          const accounting = served.complete({});
          if (accounting.bytes > 0) this.record(fetch, served, { ...o, accounting, real });
        }
      }
      release(args);
    };
    return served;
  }

  private record(
    fetch: WatchedFetch,
    served: ServedRecords,
    o: { connection: number | null; sgDma: boolean; accounting: FetchTrace['accounting']; real: NativeCalls | null },
  ): void {
    const at = this.now();
    const trace: FetchTrace = {
      mode: served.mode,
      at,
      connection: o.connection,
      sgDma: o.sgDma,
      partitions: [],
      accounting: o.accounting,
      native: o.real && !isModelledMode(served.mode) ? nativeCalls(o.real) : null,
    };
    let modeRecords = 0;
    fetch.partitions.forEach((p, i) => {
      const records = served.records[i];
      if (!p.slice || !records || records.byteLength === 0) return;
      trace.partitions.push({ topic: p.topic, partition: p.partition, firstOffset: p.slice.firstOffset, bytes: records.byteLength });
      const c = this.countersOf(p.topic);
      c.fetchedBytes += records.byteLength;
      if (isModelledMode(served.mode)) {
        const scan = scanBatches(records.parts as Buffer[]);
        const n = scan.firstOffset === null || scan.nextOffset === null ? 0 : scan.nextOffset - scan.firstOffset;
        c.fetchedRecords += n;
        modeRecords += n;
      } else {
        const n = Math.round(records.byteLength * this.recordsPerByte(p.topic, p.partition));
        c.fetchedRecords += n;
        c.fetchedRecordsEstimated += n;
        modeRecords += n;
      }
    });
    this.modeRecords.set(served.mode, (this.modeRecords.get(served.mode) ?? 0) + modeRecords);
    this.lastByMode.set(served.mode, trace);
    if (o.connection !== null) {
      const entry = this.connections.get(o.connection);
      if (entry) {
        entry.fetches++;
        entry.lastFetch = trace;
      }
    }
  }

  private countersOf(topic: string): TopicCounters {
    let c = this.topics.get(topic);
    if (!c) {
      c = { producedRecords: 0, producedBytes: 0, fetchedRecords: 0, fetchedBytes: 0, fetchedRecordsEstimated: 0 };
      this.topics.set(topic, c);
    }
    return c;
  }

  topicCounters(topic: string): TopicCounters {
    return { ...this.countersOf(topic) };
  }

  modeRecordCounts(): Record<string, number> {
    return Object.fromEntries(this.modeRecords);
  }

  lastFetches(): Partial<Record<FetchMode, FetchTrace>> {
    return Object.fromEntries(this.lastByMode) as Partial<Record<FetchMode, FetchTrace>>;
  }

  connectionFetch(id: number): FetchTrace | null {
    return this.connections.get(id)?.lastFetch ?? null;
  }

  /** Connections, most recently fetching first (then newest), at most ACTIVITY_CONNECTIONS_LISTED_MAX of them. */
  listConnections(): { listed: ConnectionActivity[]; total: number } {
    const all = [...this.connections.values()];
    all.sort((a, b) => (b.lastFetch?.at ?? -1) - (a.lastFetch?.at ?? -1) || b.conn.id - a.conn.id);
    const listed = all.slice(0, ACTIVITY_CONNECTIONS_LISTED_MAX).map((e) => ({
      id: e.conn.id,
      remote: e.conn.remote,
      clientId: e.conn.clientId,
      fetchMode: e.conn.fetchMode,
      sgDma: e.conn.sgDma,
      connectedAt: e.connectedAt,
      fetches: e.fetches,
      lastFetchAt: e.lastFetch?.at ?? null,
    }));
    return { listed, total: all.length };
  }
}

function nativeCalls(real: NativeCalls): NativeCalls {
  return {
    syscalls: real.syscalls,
    sendfileCalls: real.sendfileCalls,
    writeCalls: real.writeCalls,
    preadCalls: real.preadCalls,
    pollCalls: real.pollCalls,
    eagain: real.eagain,
  };
}
