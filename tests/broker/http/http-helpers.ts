// Helpers for the HTTP, WebSocket and metrics tests: a broker whose HTTP
// server the test owns (to reach the WebSocket gateway and lower its limits),
// a fastify app for inject, Kafka request bodies, a queued WebSocket client,
// a raw HTTP request that keeps the path exactly as written, and a Prometheus
// text parser.

import http from 'node:http';
import { expect } from 'vitest';
import { WebSocket } from 'ws';
import type { FastifyInstance } from 'fastify';
import { ApiKey } from '../../../src/protocol/index.ts';
import { encodeRecordBatch } from '../../../src/record/index.ts';
import type { OptionName } from '../../../broker/config.ts';
import { buildHttpApp } from '../../../broker/http/app.ts';
import { startHttp, type HttpServer, type HttpOptions } from '../../../broker/http/server.ts';
import { installMetrics, type BrokerMetrics } from '../../../broker/metrics.ts';
import { RawClient, startTestBroker, type TestBroker } from '../../helpers/broker.ts';

export interface OwnedHttpBroker {
  tb: TestBroker;
  http: HttpServer;
  base: string;
  destroy(): Promise<void>;
}

/** A test broker without its own HTTP server, plus one started here (port 0) with the given options (by default over the broker's group coordinator). */
export async function startOwnedHttp(cfg: Partial<Record<OptionName, unknown>> = {}, o: Partial<HttpOptions> = {}): Promise<OwnedHttpBroker> {
  const tb = await startTestBroker({ ...cfg, httpPort: -1 });
  tb.broker.config.httpPort = 0;
  const server = (await startHttp(tb.broker, tb.logger, { groups: tb.groups, defaultMetrics: false, ...o }))!;
  return {
    tb,
    http: server,
    base: `http://127.0.0.1:${server.port}`,
    async destroy() {
      await server.close();
      await tb.destroy();
    },
  };
}

export interface InjectBroker {
  tb: TestBroker;
  app: FastifyInstance;
  metrics: BrokerMetrics;
  destroy(): Promise<void>;
}

/** A test broker and a fastify app over it for inject (no HTTP socket). */
export async function startInjectBroker(cfg: Partial<Record<OptionName, unknown>> = {}): Promise<InjectBroker> {
  const tb = await startTestBroker({ ...cfg, httpPort: -1 });
  const metrics = installMetrics(tb.broker, { groups: tb.groups, defaultMetrics: false });
  const app = await buildHttpApp(tb.broker, tb.logger, { groups: tb.groups, metrics });
  return {
    tb,
    app,
    metrics,
    async destroy() {
      await app.close();
      metrics.close();
      await tb.destroy();
    },
  };
}

export function expectError(res: { statusCode: number; json(): any }, status: number, name: string): any {
  const body = res.json();
  expect({ status: res.statusCode, name: body.name }).toEqual({ status, name });
  expect(typeof body.code).toBe('number');
  expect(typeof body.message).toBe('string');
  return body;
}

// ----------------------------------------------------------------- Kafka

export async function kafkaCreateTopic(c: RawClient, name: string, partitions = 1): Promise<number> {
  const r = await c.request(ApiKey.CreateTopics, 3, {
    topics: [{ name, numPartitions: partitions, replicationFactor: 1, assignments: [], configs: [] }],
    timeoutMs: 1000,
    validateOnly: false,
  });
  return r.topics[0].errorCode;
}

export async function kafkaProduce(c: RawClient, topic: string, partition: number, values: string[]): Promise<number> {
  const records = encodeRecordBatch(values.map((v) => ({ value: v })));
  const r = await c.request(ApiKey.Produce, 7, {
    transactionalId: null,
    acks: 1,
    timeoutMs: 5000,
    topicData: [{ name: topic, partitionData: [{ index: partition, records }] }],
  });
  const p = r.responses[0].partitionResponses[0];
  expect(p.errorCode).toBe(0);
  return p.baseOffset;
}

export async function kafkaFetch(c: RawClient, topic: string, partition: number, offset: number, maxBytes = 1 << 20): Promise<any> {
  const r = await c.request(ApiKey.Fetch, 11, {
    replicaId: -1,
    maxWaitMs: 0,
    minBytes: 1,
    maxBytes,
    isolationLevel: 0,
    sessionId: 0,
    sessionEpoch: -1,
    topics: [{ topic, partitions: [{ partition, currentLeaderEpoch: -1, fetchOffset: offset, logStartOffset: -1, partitionMaxBytes: maxBytes }] }],
    forgottenTopicsData: [],
    rackId: '',
  });
  return r.responses[0].partitions[0];
}

// ------------------------------------------------------------------ HTTP

/** A GET/POST whose path goes on the wire exactly as written (fetch() would resolve `..`). */
export function rawHttp(port: number, method: string, path: string, body?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path, headers: body ? { 'content-type': 'application/json' } : {} }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

// ------------------------------------------------------------- WebSocket

/** A WebSocket client that queues what it receives and hands it out in order. */
export class WsClient {
  readonly messages: Array<{ text: string | null; binary: Buffer | null }> = [];
  private readonly waiters: Array<() => void> = [];
  closeCode: number | null = null;
  closeReason = '';

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data, isBinary) => {
      this.messages.push(isBinary ? { text: null, binary: data as Buffer } : { text: data.toString(), binary: null });
      for (const w of this.waiters.splice(0)) w();
    });
    ws.on('close', (code, reason) => {
      this.closeCode = code;
      this.closeReason = reason.toString();
      for (const w of this.waiters.splice(0)) w();
    });
    ws.on('error', () => {});
  }

  static open(port: number, path = '/ws', headers: Record<string, string> = {}): Promise<WsClient> {
    const ws = new WebSocket(`ws://127.0.0.1:${port}${path}`, { headers });
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(new WsClient(ws)));
      ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)));
      ws.once('error', reject);
    });
  }

  send(op: object): void {
    this.ws.send(JSON.stringify(op));
  }

  /** The next message (JSON-parsed, or a Buffer for a binary message). */
  async next(timeoutMs = 5000): Promise<any> {
    const deadline = Date.now() + timeoutMs;
    while (this.messages.length === 0) {
      if (this.closeCode !== null) throw new Error(`closed ${this.closeCode} ${this.closeReason}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error('no WebSocket message within timeout');
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    const m = this.messages.shift()!;
    return m.binary ?? JSON.parse(m.text!);
  }

  /** Skip messages until one matches (e.g. stats pushes in between). */
  async nextWhere(pred: (m: any) => boolean, timeoutMs = 5000): Promise<any> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const m = await this.next(Math.max(1, deadline - Date.now()));
      if (pred(m)) return m;
    }
  }

  whenClosed(): Promise<number> {
    if (this.closeCode !== null) return Promise.resolve(this.closeCode);
    return new Promise((resolve) => this.ws.once('close', (code) => resolve(code)));
  }

  close(): void {
    this.ws.terminate();
  }
}

// ------------------------------------------------------------ Prometheus

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/**
 * Parse the Prometheus text exposition format 0.0.4: `# HELP` / `# TYPE`
 * comments, then `name{label="value",...} number` lines. Throws on any line
 * that is neither, so the test proves the output parses.
 */
export function parsePrometheus(text: string): { samples: Sample[]; types: Map<string, string> } {
  const samples: Sample[] = [];
  const types = new Map<string, string>();
  // Values as Go's strconv.ParseFloat reads them (what Prometheus uses): NaN and Inf in any case.
  const line = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? ([+-]?(?:[0-9.]+(?:[eE][+-]?[0-9]+)?|[nN][aA][nN]|[iI][nN][fF]))(?: -?[0-9]+)?$/;
  const label = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;
  for (const l of text.split('\n')) {
    if (l === '') continue;
    if (l.startsWith('# TYPE ')) {
      const [, , name, type] = l.split(' ');
      types.set(name, type);
      continue;
    }
    if (l.startsWith('# HELP ')) continue;
    const m = line.exec(l);
    if (!m) throw new Error(`not Prometheus text: ${l}`);
    const labels: Record<string, string> = {};
    for (const lm of (m[2] ?? '').matchAll(label)) labels[lm[1]] = lm[2];
    const v = m[3].toLowerCase();
    samples.push({ name: m[1], labels, value: v.endsWith('nan') ? NaN : v.endsWith('inf') ? (v.startsWith('-') ? -Infinity : Infinity) : Number(v) });
  }
  return { samples, types };
}

export function sampleValue(samples: Sample[], name: string, labels: Record<string, string> = {}): number {
  const s = samples.find((x) => x.name === name && Object.entries(labels).every(([k, v]) => x.labels[k] === v));
  return s?.value ?? NaN;
}
