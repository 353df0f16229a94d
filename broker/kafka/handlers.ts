// Kafka API handlers for the broker core's own APIs: ApiVersions, Metadata,
// CreateTopics, DeleteTopics, Produce, Fetch, ListOffsets and the copyless
// extension APIs. Each turns a decoded request (Kafka JSON field names) into
// broker-core calls and a response body; none of them touches a socket.
// Group APIs live in group-handlers.ts.

import { CopylessError, ErrorCode, toCopylessError } from '../../src/errors.ts';
import { ApiKey } from '../../src/protocol/index.ts';
import { accountingToPairs, emptyAccounting } from '../../src/fetch/accounting.ts';
import { parseFetchMode } from '../../src/fetch/fetch-mode.ts';
import { topicNameProblem } from '../../src/topic-name.ts';
import type { FetchRequestSpec, FetchResult, ServedRecords } from '../broker.ts';
import { kafkaErrorCode, type Handler, type HandlerResult, type RequestContext } from './context.ts';

const CLUSTER_ID = 'copyless-local';
const NO_RECORDS = Buffer.alloc(0);

function apiVersionsBody(advertised: ReadonlyMap<number, { min: number; max: number }>): unknown {
  const apiKeys = [...advertised.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([apiKey, v]) => ({ apiKey, minVersion: v.min, maxVersion: v.max }));
  return { errorCode: 0, apiKeys, throttleTimeMs: 0 };
}

const apiVersions: Handler = async (ctx) => ({ body: apiVersionsBody(ctx.advertised) });

function brokerNode(ctx: RequestContext) {
  const c = ctx.broker.config;
  return { nodeId: c.brokerId, host: c.advertisedHost ?? c.host, port: ctx.broker.kafkaPort, rack: null };
}

const metadata: Handler = async (ctx, req) => {
  const broker = ctx.broker;
  const v = ctx.header.apiVersion;
  // v0: an empty array means all topics; v1+: null means all topics.
  const all = req.topics === null || (v === 0 && req.topics.length === 0);
  const allowCreate = v < 4 ? true : req.allowAutoTopicCreation !== false;
  const names: string[] = all ? broker.topicNames() : req.topics.map((t: { name: string }) => t.name);
  const topics = [];
  for (const name of names) {
    topics.push(await topicMetadata(ctx, name, allowCreate && !all));
  }
  return {
    body: {
      throttleTimeMs: 0,
      brokers: [brokerNode(ctx)],
      clusterId: CLUSTER_ID,
      controllerId: broker.config.brokerId,
      topics,
    },
  };
};

async function topicMetadata(ctx: RequestContext, name: string, allowCreate: boolean) {
  const base = { errorCode: 0, name, isInternal: false, partitions: [] as unknown[] };
  if (topicNameProblem(name)) return { ...base, errorCode: ErrorCode.INVALID_TOPIC_EXCEPTION };
  try {
    if (!(await ctx.broker.ensureTopic(name, allowCreate))) return { ...base, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION };
  } catch (e) {
    return { ...base, errorCode: kafkaErrorCode(e) };
  }
  const self = ctx.broker.config.brokerId;
  const n = ctx.broker.partitionCount(name);
  for (let p = 0; p < n; p++) {
    base.partitions.push({
      errorCode: 0,
      partitionIndex: p,
      leaderId: self,
      leaderEpoch: 0,
      replicaNodes: [self],
      isrNodes: [self],
      offlineReplicas: [],
    });
  }
  return base;
}

const createTopics: Handler = async (ctx, req) => {
  const topics = [];
  for (const t of req.topics) {
    try {
      if (t.replicationFactor !== -1 && t.replicationFactor !== 1) {
        throw new CopylessError('INVALID_REPLICATION_FACTOR', `replicationFactor is ${t.replicationFactor}; a single broker only has 1`, {
          field: 'replicationFactor',
        });
      }
      if (t.assignments?.length) {
        throw new CopylessError('INVALID_REQUEST', 'manual partition assignments are not supported by a single broker', { field: 'assignments' });
      }
      const config = Object.fromEntries((t.configs ?? []).map((c: { name: string; value: string | null }) => [c.name, c.value]));
      await ctx.broker.createTopic(t.name, { partitions: t.numPartitions, config, validateOnly: req.validateOnly });
      topics.push({ name: t.name, errorCode: 0, errorMessage: null });
    } catch (e) {
      const err = toCopylessError(e);
      topics.push({ name: t.name, errorCode: kafkaErrorCode(err), errorMessage: err.message });
    }
  }
  return { body: { throttleTimeMs: 0, topics } };
};

const deleteTopics: Handler = async (ctx, req) => {
  const responses = [];
  for (const name of req.topicNames as string[]) {
    try {
      await ctx.broker.deleteTopic(name);
      responses.push({ name, errorCode: 0, errorMessage: null });
    } catch (e) {
      responses.push({ name, errorCode: kafkaErrorCode(e), errorMessage: toCopylessError(e).message });
    }
  }
  return { body: { throttleTimeMs: 0, responses } };
};

/** Produce v0-2 carry message formats v0/v1, which copyless never stores. */
const PRODUCE_RECORD_BATCH_V2_MIN_VERSION = 3;

/**
 * Produce v0-2 are advertised only because librdkafka enables compression
 * when the advertised range starts at v0 (as Kafka 4.0 does, KAFKA-18659);
 * a request at those versions is answered UNSUPPORTED_VERSION for every
 * partition, nothing appended. No client that speaks v3 sends them.
 */
function refuseOldProduce(req: any): HandlerResult {
  if (req.acks === 0) return {};
  const responses = req.topicData.map((t: { name: string; partitionData: { index: number }[] }) => ({
    name: t.name,
    partitionResponses: t.partitionData.map((p) => ({ index: p.index, errorCode: ErrorCode.UNSUPPORTED_VERSION, baseOffset: -1, logAppendTimeMs: -1, logStartOffset: -1 })),
  }));
  return { body: { responses, throttleTimeMs: 0 } };
}

const produce: Handler = async (ctx, req) => {
  if (ctx.header.apiVersion < PRODUCE_RECORD_BATCH_V2_MIN_VERSION) return refuseOldProduce(req);
  const acks: number = req.acks;
  const responses = await Promise.all(
    req.topicData.map(async (t: { name: string; partitionData: { index: number; records: Buffer | null }[] }) => ({
      name: t.name,
      partitionResponses: await Promise.all(
        t.partitionData.map(async (p) => {
          try {
            if (!p.records || p.records.length === 0) {
              throw new CopylessError('CORRUPT_MESSAGE', 'records is empty', { topic: t.name, partition: p.index, field: 'records' });
            }
            const r = await ctx.broker.produce(t.name, p.index, p.records, { acks, timeoutMs: req.timeoutMs });
            return { index: p.index, errorCode: 0, baseOffset: r.baseOffset, logAppendTimeMs: -1, logStartOffset: r.logStartOffset };
          } catch (e) {
            const err = toCopylessError(e);
            if (acks === 0) ctx.logger.warn({ topic: t.name, partition: p.index, err: err.message }, 'acks=0 produce failed');
            return { index: p.index, errorCode: kafkaErrorCode(err), baseOffset: -1, logAppendTimeMs: -1, logStartOffset: -1 };
          }
        }),
      ),
    })),
  );
  // acks=0: Kafka sends no response at all, and clients expect none.
  if (acks === 0) return {};
  return { body: { responses, throttleTimeMs: 0 } };
};

function fetchSpec(req: any): FetchRequestSpec {
  const partitions = [];
  for (const t of req.topics) {
    for (const p of t.partitions) {
      partitions.push({ topic: t.topic, partition: p.partition, fetchOffset: p.fetchOffset, maxBytes: p.partitionMaxBytes });
    }
  }
  return { partitions, maxWaitMs: req.maxWaitMs, minBytes: req.minBytes, maxBytes: req.maxBytes };
}

/**
 * Fetch and CopylessFetch: long-poll in the core, then serve the slices with
 * the connection's fetch mode when the connection is about to write the
 * response (HandlerResult.deferred), so a client that stops reading pins no pages.
 */
async function serveFetch(ctx: RequestContext, req: any, withAccounting: boolean): Promise<HandlerResult> {
  const result = await ctx.broker.fetch(fetchSpec(req), ctx.conn.signal);
  return { deferred: { bytes: result.bytes, serve: () => fetchResponse(ctx, result, withAccounting), abandon: () => result.release() } };
}

async function fetchResponse(ctx: RequestContext, result: FetchResult, withAccounting: boolean): Promise<HandlerResult> {
  let served: ServedRecords;
  try {
    served = await ctx.broker.serve(result, ctx.conn.fetchMode, { sgDma: ctx.conn.sgDma, connection: ctx.conn.id });
  } catch (e) {
    // e.g. PAGE_CACHE_EXHAUSTED: every partition that had data reports the error; the client retries.
    ctx.logger.warn({ err: toCopylessError(e).message }, 'fetch could not be served');
    for (const p of result.partitions) if (p.slice) p.errorCode = toCopylessError(e).code;
    served = await ctx.broker.serve({ ...result, partitions: result.partitions.map((p) => ({ ...p, slice: null })), bytes: 0 }, 'copy');
  }
  const byTopic = new Map<string, unknown[]>();
  result.partitions.forEach((p, i) => {
    let list = byTopic.get(p.topic);
    if (!list) byTopic.set(p.topic, (list = []));
    list.push({
      partitionIndex: p.partition,
      errorCode: p.errorCode === 0 ? 0 : kafkaErrorCode(new CopylessError(p.errorCode)),
      highWatermark: p.highWatermark,
      lastStableOffset: p.highWatermark,
      logStartOffset: p.logStartOffset,
      abortedTransactions: null,
      preferredReadReplica: -1,
      // Kafka sends an empty record set, never null: librdkafka rejects a null
      // MessageSet ("invalid MessageSetSize -1") and then never sees the partition's end.
      records: served.records[i] ?? NO_RECORDS,
    });
  });
  const body: Record<string, unknown> = {
    throttleTimeMs: 0,
    errorCode: 0,
    sessionId: 0,
    responses: [...byTopic.entries()].map(([topic, partitions]) => ({ topic, partitions })),
  };
  if (withAccounting) body.accounting = accountingToPairs(served.accounting ?? emptyAccounting());
  return { body, served, accountingTrailer: withAccounting };
}


const fetch: Handler = (ctx, req) => serveFetch(ctx, req, false);
const copylessFetch: Handler = (ctx, req) => serveFetch(ctx, req, true);

const LATEST_TIMESTAMP = -1;
const EARLIEST_TIMESTAMP = -2;

/**
 * ListOffsets v0 (Kafka's legacyFetchOffsetsBefore): up to `maxNumOffsets`
 * segment base offsets (plus the log end, for a non-empty active segment),
 * newest first, of the segments last written at or before `timestamp`.
 * Kafka compares each segment file's mtime; copyless uses the segment's
 * newest record time, which is what a segment's mtime approximates.
 */
function legacyOffsets(ctx: RequestContext, topic: string, partition: number, timestamp: number, maxNumOffsets: number): number[] {
  const log = ctx.broker.partitionLog(topic, partition);
  const segments = log.segments();
  const points = segments.map((s) => [Math.max(s.baseOffset, log.logStartOffset), s.largestTimestamp]);
  if (segments[segments.length - 1].sizeBytes > 0) points.push([log.logEndOffset, Date.now()]);
  let start = timestamp === EARLIEST_TIMESTAMP ? 0 : points.length - 1;
  if (timestamp !== LATEST_TIMESTAMP && timestamp !== EARLIEST_TIMESTAMP) while (start >= 0 && points[start][1] > timestamp) start--;
  const out: number[] = [];
  for (let i = start; i >= 0 && out.length < maxNumOffsets; i--) out.push(points[i][0]);
  return out;
}

const listOffsets: Handler = async (ctx, req) => {
  const topics = req.topics.map((t: { name: string; partitions: { partitionIndex: number; timestamp: number; maxNumOffsets: number }[] }) => ({
    name: t.name,
    partitions: t.partitions.map((p) => {
      try {
        if (ctx.header.apiVersion === 0) {
          const oldStyleOffsets = legacyOffsets(ctx, t.name, p.partitionIndex, p.timestamp, p.maxNumOffsets);
          return { partitionIndex: p.partitionIndex, errorCode: 0, oldStyleOffsets };
        }
        const r = ctx.broker.listOffset(t.name, p.partitionIndex, p.timestamp);
        return { partitionIndex: p.partitionIndex, errorCode: 0, timestamp: r.timestamp, offset: r.offset };
      } catch (e) {
        return { partitionIndex: p.partitionIndex, errorCode: kafkaErrorCode(e), timestamp: -1, offset: -1, oldStyleOffsets: [] };
      }
    }),
  }));
  return { body: { throttleTimeMs: 0, topics } };
};

// ------------------------------------------------------ copyless extensions

/** Wrap a JSON extension API: parse the request json, run, answer {errorCode, errorMessage, json}. */
function jsonApi(run: (ctx: RequestContext, input: any) => Promise<unknown> | unknown): Handler {
  return async (ctx, req) => {
    try {
      let input: unknown = {};
      if (req.json) {
        try {
          input = JSON.parse(req.json);
        } catch {
          throw new CopylessError('INVALID_REQUEST', 'extension request json is not valid JSON', { field: 'json' });
        }
      }
      const out = await run(ctx, input ?? {});
      return { body: { errorCode: 0, errorMessage: null, json: JSON.stringify(out ?? {}) } };
    } catch (e) {
      const err = toCopylessError(e);
      return { body: { errorCode: err.code, errorMessage: err.message, json: JSON.stringify(err.toJSON()) } };
    }
  };
}

const brokerInfo = jsonApi((ctx) => ctx.broker.info());

const setFetchMode = jsonApi((ctx, input: { mode?: string; sgDma?: boolean }) => {
  const mode = parseFetchMode(String(input.mode ?? ''));
  ctx.broker.assertModeAvailable(mode);
  ctx.conn.fetchMode = mode;
  if (input.sgDma !== undefined) ctx.conn.sgDma = Boolean(input.sgDma);
  return { mode, sgDma: ctx.conn.sgDma };
});

const stats = jsonApi((ctx) => ctx.broker.stats());

const describeTopics = jsonApi((ctx, input: { topics?: string[] | null }) => ({ topics: ctx.broker.describeTopics(input.topics ?? null) }));

const dropCaches = jsonApi((ctx) => ctx.broker.dropCaches());

export const coreHandlers = new Map<number, Handler>([
  [ApiKey.ApiVersions, apiVersions],
  [ApiKey.Metadata, metadata],
  [ApiKey.CreateTopics, createTopics],
  [ApiKey.DeleteTopics, deleteTopics],
  [ApiKey.Produce, produce],
  [ApiKey.Fetch, fetch],
  [ApiKey.ListOffsets, listOffsets],
  [ApiKey.CopylessBrokerInfo, brokerInfo],
  [ApiKey.CopylessSetFetchMode, setFetchMode],
  [ApiKey.CopylessStats, stats],
  [ApiKey.CopylessDescribeTopics, describeTopics],
  [ApiKey.CopylessDropCaches, dropCaches],
  [ApiKey.CopylessFetch, copylessFetch],
]);

export { jsonApi };
