// Prometheus metrics of one broker (prom-client), in a Registry of its own so
// two brokers in one process (parallel tests) never share a series.
//
// Two kinds of sources:
//   pushed  request counts and latencies per protocol and API, bytes in/out:
//           the Telemetry hooks the Kafka listener, the HTTP routes and the
//           WebSocket server call (installed on broker.telemetry here);
//   pulled  read from the broker when /metrics is scraped: the per-fetch-mode
//           accounting (broker.stats().modes), the simulated page cache, every
//           partition's offsets and size, every group's lag, WebSocket state.
//           Cumulative values the broker already keeps are exposed as counters
//           (reset, then set to the broker's total at each scrape).
// Process CPU and memory, heap, GC and event-loop lag come from prom-client's
// default metrics on the same registry.

import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { errorInfo } from '../src/errors.ts';
import { PAGE_BYTES } from '../src/limits.ts';
import { ACCOUNTING_FIELDS } from '../src/fetch/accounting.ts';
import { FETCH_MODES } from '../src/fetch/fetch-mode.ts';
import type { Broker, Telemetry } from './broker.ts';
import type { GroupCoordinator } from './groups/coordinator.ts';

/** Latency buckets in seconds: sub-millisecond produce up to the longest long-poll (FETCH_WAIT_MS_MAX = 30 s). */
const LATENCY_BUCKETS_SECONDS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/** What the WebSocket server reports at each scrape. */
export interface WsMetricsSource {
  connections: number;
  subscriptions: number;
  pausedConnections: number;
  pausesTotal: number;
  slowConsumerClosesTotal: number;
}

export interface BrokerMetrics {
  readonly registry: Registry;
  readonly contentType: string;
  readonly telemetry: Telemetry;
  /** The text exposition of every metric, collected now. */
  render(): Promise<string>;
  /** Let the WebSocket server report its state at each scrape. */
  setWsSource(source: (() => WsMetricsSource) | null): void;
  /** Put back the telemetry the broker had before and drop every series. */
  close(): void;
}

/** camelCase accounting field to a Prometheus name part: cpuCopyBytes -> cpu_copy_bytes. */
export function snakeCase(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

/** Page-cache stats that are levels (gauges); every other numeric field is a running total. */
const PAGE_CACHE_GAUGES = ['capacityPages', 'residentPages', 'dirtyPages', 'activePages', 'inactivePages', 'pinnedPages', 'hitRatio'];

/** Create the broker's metrics and install their telemetry on broker.telemetry. */
export function installMetrics(broker: Broker, o: { groups: GroupCoordinator | null; defaultMetrics?: boolean }): BrokerMetrics {
  const registry = new Registry();
  const previous = broker.telemetry;
  const telemetry = requestMetrics(registry);
  let wsSource: (() => WsMetricsSource) | null = null;
  // Pulled metrics are refreshed together just before a scrape renders, so one scrape is one consistent snapshot.
  const refreshers = [
    fetchModeMetrics(registry, broker),
    pageCacheMetrics(registry, broker),
    partitionMetrics(registry, broker),
    groupMetrics(registry, o.groups),
    wsMetrics(registry, () => wsSource?.() ?? null),
  ];
  if (o.defaultMetrics ?? true) collectDefaultMetrics({ register: registry });
  broker.telemetry = telemetry;
  return {
    registry,
    contentType: registry.contentType,
    telemetry,
    async render() {
      for (const refresh of refreshers) refresh();
      return registry.metrics();
    },
    setWsSource(source) {
      wsSource = source;
    },
    close() {
      if (broker.telemetry === telemetry) broker.telemetry = previous;
      registry.clear();
    },
  };
}

function requestMetrics(registry: Registry): Telemetry {
  const requests = new Counter({
    name: 'copyless_requests_total',
    help: 'Requests handled, by protocol (kafka, http, ws), API and error name (NONE on success)',
    labelNames: ['protocol', 'api', 'error'],
    registers: [registry],
  });
  const latency = new Histogram({
    name: 'copyless_request_duration_seconds',
    help: 'Time from request to answer, by protocol and API (fetches include their long-poll wait)',
    labelNames: ['protocol', 'api'],
    buckets: LATENCY_BUCKETS_SECONDS,
    registers: [registry],
  });
  const bytesIn = new Counter({ name: 'copyless_bytes_in_total', help: 'Bytes received from clients, by protocol', labelNames: ['protocol'], registers: [registry] });
  const bytesOut = new Counter({ name: 'copyless_bytes_out_total', help: 'Bytes sent to clients, by protocol', labelNames: ['protocol'], registers: [registry] });
  return {
    request(protocol, api, seconds, errorCode) {
      requests.inc({ protocol, api, error: errorInfo(errorCode).name });
      latency.observe({ protocol, api }, seconds);
    },
    bytesIn(protocol, bytes) {
      if (bytes > 0) bytesIn.inc({ protocol }, bytes);
    },
    bytesOut(protocol, bytes) {
      if (bytes > 0) bytesOut.inc({ protocol }, bytes);
    },
  };
}

/** A counter mirroring a running total the broker keeps: reset, then set to the total. */
function setTotal(counter: Counter, labels: Record<string, string>, total: number): void {
  counter.inc(labels, Math.max(0, total));
}

type Refresh = () => void;

/** copyless_fetch_mode_fetches_total and one counter per accounting field, labelled by mode; every mode is present from the start. */
function fetchModeMetrics(registry: Registry, broker: Broker): Refresh {
  const fields = ['fetches', ...ACCOUNTING_FIELDS] as string[];
  const counters = fields.map((field) => ({
    field,
    counter: new Counter({
      name: `copyless_fetch_mode_${snakeCase(field)}_total`,
      help: `Fetch accounting per fetch mode: ${field} (summed over every fetch served in that mode, Kafka, HTTP and WebSocket alike)`,
      labelNames: ['mode'],
      registers: [registry],
    }),
  }));
  const available = new Gauge({
    name: 'copyless_fetch_mode_available',
    help: 'Fetch modes this broker can serve now (1) or not (0); the default mode has default="true"',
    labelNames: ['mode', 'default'],
    registers: [registry],
  });
  return () => {
    available.reset();
    const can = new Set(broker.availableFetchModes());
    for (const mode of FETCH_MODES) available.set({ mode, default: String(mode === broker.config.fetchMode) }, can.has(mode) ? 1 : 0);
    const modes = broker.stats().modes as unknown as Record<string, Record<string, number> | undefined>;
    for (const { field, counter } of counters) {
      counter.reset();
      for (const mode of FETCH_MODES) setTotal(counter, { mode }, modes[mode]?.[field] ?? 0);
    }
  };
}

function pageCacheMetrics(registry: Registry, broker: Broker): Refresh {
  const sample = broker.pageCache.stats() as unknown as Record<string, number>;
  const metrics = Object.keys(sample)
    .filter((k) => typeof sample[k] === 'number')
    .map((key) => {
      const gauge = PAGE_CACHE_GAUGES.includes(key);
      const name = `copyless_page_cache_${snakeCase(key)}${gauge ? '' : '_total'}`;
      const help = `Simulated page cache: ${key}${gauge ? '' : ' (running total)'}`;
      return { key, metric: gauge ? new Gauge({ name, help, registers: [registry] }) : new Counter({ name, help, registers: [registry] }) };
    });
  const bytes = new Gauge({
    name: 'copyless_page_cache_bytes',
    help: 'Simulated page cache in bytes, by state (capacity, resident, dirty, pinned)',
    labelNames: ['state'],
    registers: [registry],
  });
  return () => {
    const s = broker.pageCache.stats() as unknown as Record<string, number>;
    for (const state of ['capacity', 'resident', 'dirty', 'pinned']) bytes.set({ state }, (s[`${state}Pages`] ?? 0) * PAGE_BYTES);
    for (const { key, metric } of metrics) {
      if (metric instanceof Gauge) metric.set(s[key] ?? 0);
      else {
        metric.reset();
        setTotal(metric, {}, s[key] ?? 0);
      }
    }
  };
}

function partitionMetrics(registry: Registry, broker: Broker): Refresh {
  const labelNames = ['topic', 'partition'];
  const logEnd = new Gauge({
    name: 'copyless_partition_log_end_offset',
    help: 'Next offset the partition will assign (log end offset = high watermark on a single broker)',
    labelNames,
    registers: [registry],
  });
  const logStart = new Gauge({ name: 'copyless_partition_log_start_offset', help: 'First offset still in the log', labelNames, registers: [registry] });
  const size = new Gauge({ name: 'copyless_partition_size_bytes', help: 'Bytes of the partition log on disk', labelNames, registers: [registry] });
  const resident = new Gauge({ name: 'copyless_partition_resident_pages', help: 'Pages of the partition resident in the simulated page cache', labelNames, registers: [registry] });
  return () => {
    for (const g of [logEnd, logStart, size, resident]) g.reset();
    for (const t of broker.describeTopics()) {
      for (const p of t.partitions) {
        const labels = { topic: t.name, partition: String(p.partition) };
        logEnd.set(labels, p.logEndOffset);
        logStart.set(labels, p.logStartOffset);
        size.set(labels, p.sizeBytes);
        resident.set(labels, p.residentPages);
      }
    }
  };
}

function groupMetrics(registry: Registry, groups: GroupCoordinator | null): Refresh {
  const labelNames = ['group', 'topic', 'partition'];
  const lag = new Gauge({ name: 'copyless_group_lag_messages', help: 'Messages between the committed offset and the log end', labelNames, registers: [registry] });
  const lagBytes = new Gauge({ name: 'copyless_group_lag_bytes', help: 'Log bytes from the committed offset to the end', labelNames, registers: [registry] });
  const committed = new Gauge({ name: 'copyless_group_committed_offset', help: 'Committed offset (-1: none)', labelNames, registers: [registry] });
  const members = new Gauge({ name: 'copyless_group_members', help: 'Members of the group, by group state', labelNames: ['group', 'state'], registers: [registry] });
  return () => {
    for (const g of [lag, lagBytes, committed, members]) g.reset();
    if (!groups) return;
    for (const summary of groups.listGroups()) {
      members.set({ group: summary.groupId, state: summary.state }, summary.members);
      let d;
      try {
        d = groups.describeGroup(summary.groupId);
      } catch {
        continue; // the group went away between list and describe
      }
      for (const p of d.partitions) {
        const labels = { group: summary.groupId, topic: p.topic, partition: String(p.partition) };
        lag.set(labels, p.lagMessages);
        lagBytes.set(labels, p.lagBytes);
        committed.set(labels, p.committedOffset);
      }
    }
  };
}

function wsMetrics(registry: Registry, source: () => WsMetricsSource | null): Refresh {
  const connections = new Gauge({ name: 'copyless_ws_connections', help: 'Open WebSocket connections', registers: [registry] });
  const subscriptions = new Gauge({ name: 'copyless_ws_subscriptions', help: 'Partition subscriptions open over WebSocket', registers: [registry] });
  const paused = new Gauge({ name: 'copyless_ws_paused_connections', help: 'WebSocket connections whose send buffer is over the pause limit', registers: [registry] });
  const pauses = new Counter({ name: 'copyless_ws_pauses_total', help: 'Times a WebSocket connection was paused for a full send buffer', registers: [registry] });
  const closes = new Counter({ name: 'copyless_ws_slow_consumer_closes_total', help: 'WebSocket connections closed with SLOW_CONSUMER', registers: [registry] });
  return () => {
    const s = source() ?? { connections: 0, subscriptions: 0, pausedConnections: 0, pausesTotal: 0, slowConsumerClosesTotal: 0 };
    connections.set(s.connections);
    subscriptions.set(s.subscriptions);
    paused.set(s.pausedConnections);
    pauses.reset();
    setTotal(pauses, {}, s.pausesTotal);
    closes.reset();
    setTotal(closes, {}, s.slowConsumerClosesTotal);
  };
}
