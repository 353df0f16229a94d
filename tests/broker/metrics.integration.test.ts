// Proves /metrics is valid Prometheus text whose counters move: the fetch-mode
// accounting after a fetch in each available mode (over HTTP and over the
// Kafka listener), request and byte counters per protocol, page-cache,
// partition and group-lag series, process and event-loop metrics; and that
// two brokers in one process keep separate registries.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiKey } from '../../src/protocol/index.ts';
import { RawClient, startTestBroker, type TestBroker } from '../helpers/broker.ts';
import { kafkaCreateTopic, kafkaFetch, kafkaProduce, parsePrometheus, sampleValue, type Sample } from './http/http-helpers.ts';

let tb: TestBroker;
let kafka: RawClient;
let base: string;

beforeAll(async () => {
  tb = await startTestBroker({ httpPort: 0 });
  kafka = await RawClient.connect(tb.port);
  base = `http://127.0.0.1:${tb.httpPort}`;
  expect(await kafkaCreateTopic(kafka, 'm')).toBe(0);
  await kafkaProduce(kafka, 'm', 0, ['one', 'two', 'three']);
});

afterAll(async () => {
  kafka.close();
  await tb.destroy();
});

async function scrape(): Promise<{ samples: Sample[]; types: Map<string, string> }> {
  const r = await fetch(`${base}/metrics`);
  expect(r.status).toBe(200);
  expect(r.headers.get('content-type')).toContain('text/plain');
  return parsePrometheus(await r.text());
}

const MODE_COUNTERS = ['copyless_fetch_mode_fetches_total', 'copyless_fetch_mode_bytes_total', 'copyless_fetch_mode_syscalls_total', 'copyless_fetch_mode_mode_switches_total'];

describe('/metrics', () => {
  it('parses as Prometheus text with the documented families and types', async () => {
    const { samples, types } = await scrape();
    expect(types.get('copyless_fetch_mode_fetches_total')).toBe('counter');
    expect(types.get('copyless_fetch_mode_cpu_copy_bytes_total')).toBe('counter');
    expect(types.get('copyless_fetch_mode_dma_bytes_total')).toBe('counter');
    expect(types.get('copyless_fetch_mode_page_faults_total')).toBe('counter');
    expect(types.get('copyless_request_duration_seconds')).toBe('histogram');
    expect(types.get('copyless_page_cache_resident_pages')).toBe('gauge');
    expect(types.get('copyless_page_cache_evictions_clean_total')).toBe('counter');
    expect(types.get('copyless_page_cache_write_back_pages_total')).toBe('counter');
    expect(types.get('copyless_page_cache_throttle_events_total')).toBe('counter');
    expect(types.get('copyless_page_cache_hit_ratio')).toBe('gauge');
    expect(types.get('process_cpu_user_seconds_total')).toBe('counter');
    expect(types.get('process_resident_memory_bytes')).toBe('gauge');
    expect(types.get('nodejs_eventloop_lag_seconds')).toBe('gauge');
    for (const mode of ['copy', 'mmap', 'sendfile', 'splice', 'native-sendfile', 'native-copy']) {
      expect(sampleValue(samples, 'copyless_fetch_mode_fetches_total', { mode })).toBeGreaterThanOrEqual(0);
    }
    expect(sampleValue(samples, 'copyless_partition_log_end_offset', { topic: 'm', partition: '0' })).toBe(3);
    expect(sampleValue(samples, 'copyless_partition_size_bytes', { topic: 'm', partition: '0' })).toBeGreaterThan(0);
    expect(sampleValue(samples, 'copyless_page_cache_bytes', { state: 'capacity' })).toBe(tb.config.pageCacheMb * 1024 * 1024);
  });

  it('moves the fetch-mode counters after a raw HTTP fetch in each available mode', async () => {
    for (const mode of tb.broker.availableFetchModes()) {
      const before = (await scrape()).samples;
      const r = await fetch(`${base}/topics/m/partitions/0/records?offset=0&fetchMode=${mode}`, { headers: { accept: 'application/octet-stream' } });
      expect(r.status).toBe(200);
      const bytes = (await r.arrayBuffer()).byteLength;
      // A fetch is counted once the broker's write of it completed, which can come a moment after the client has the body.
      const moved = (s: Sample[]) => sampleValue(s, 'copyless_fetch_mode_bytes_total', { mode }) - sampleValue(before, 'copyless_fetch_mode_bytes_total', { mode });
      let after = (await scrape()).samples;
      for (const deadline = Date.now() + 5000; moved(after) < bytes && Date.now() < deadline; ) {
        await new Promise((resolve) => setTimeout(resolve, 20));
        after = (await scrape()).samples;
      }
      for (const name of MODE_COUNTERS) {
        expect(sampleValue(after, name, { mode }), `${name}{mode=${mode}}`).toBeGreaterThan(sampleValue(before, name, { mode }));
      }
      expect(sampleValue(after, 'copyless_fetch_mode_bytes_total', { mode }) - sampleValue(before, 'copyless_fetch_mode_bytes_total', { mode })).toBe(bytes);
    }
  });

  it('moves them for Kafka fetches in the connection fetch mode, with Kafka request and byte counters', async () => {
    const before = (await scrape()).samples;
    const set = await kafka.request(ApiKey.CopylessSetFetchMode, 0, { json: JSON.stringify({ mode: 'splice' }) });
    expect(set.errorCode).toBe(0);
    expect((await kafkaFetch(kafka, 'm', 0, 0)).errorCode).toBe(0);
    const after = (await scrape()).samples;
    expect(sampleValue(after, 'copyless_fetch_mode_fetches_total', { mode: 'splice' })).toBe(sampleValue(before, 'copyless_fetch_mode_fetches_total', { mode: 'splice' }) + 1);
    const fetches = (s: Sample[]) => sampleValue(s, 'copyless_requests_total', { protocol: 'kafka', api: 'Fetch', error: 'NONE' });
    expect(fetches(after)).toBe((Number.isNaN(fetches(before)) ? 0 : fetches(before)) + 1);
    expect(sampleValue(after, 'copyless_bytes_out_total', { protocol: 'kafka' })).toBeGreaterThan(sampleValue(before, 'copyless_bytes_out_total', { protocol: 'kafka' }));
    expect(sampleValue(after, 'copyless_request_duration_seconds_count', { protocol: 'http', api: 'GET /metrics' })).toBeGreaterThan(0);
    expect(sampleValue(after, 'copyless_page_cache_hits_total')).toBeGreaterThan(0);
  });

  it('shows per-group lag', async () => {
    const reset = await fetch(`${base}/groups/mg/reset-offsets`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ topic: 'm', to: 'earliest' }),
    });
    expect(reset.status).toBe(200);
    const { samples } = await scrape();
    expect(sampleValue(samples, 'copyless_group_lag_messages', { group: 'mg', topic: 'm', partition: '0' })).toBe(3);
    expect(sampleValue(samples, 'copyless_group_committed_offset', { group: 'mg', topic: 'm', partition: '0' })).toBe(0);
    expect(sampleValue(samples, 'copyless_group_members', { group: 'mg' })).toBe(0);
  });

  it('keeps a registry per broker', async () => {
    const other = await startTestBroker({ httpPort: 0 });
    try {
      const text = await (await fetch(`http://127.0.0.1:${other.httpPort}/metrics`)).text();
      const { samples } = parsePrometheus(text);
      expect(samples.some((s) => s.name === 'copyless_partition_log_end_offset' && s.labels.topic === 'm')).toBe(false);
      expect(sampleValue(samples, 'copyless_fetch_mode_fetches_total', { mode: 'splice' })).toBe(0);
    } finally {
      await other.destroy();
    }
  });
});
