// Kafka admin APIs an admin client or a Go client calls: DescribeConfigs
// (topic and broker configs from the broker's real settings), CreatePartitions,
// DeleteRecords, and OffsetForLeaderEpoch (answered for a single broker that
// is leader in epoch 0 forever). Each maps its request onto the broker core
// and reports per-resource errors in the response; none throws.

import { CopylessError, ErrorCode, toCopylessError } from '../../src/errors.ts';
import { ApiKey } from '../../src/protocol/index.ts';
import type { DescribeConfigsEntry } from '../../src/protocol/index.ts';
import { LEADER_EPOCH_DEFAULT, LOG_CONFIG_DEFAULTS, type LogConfig } from '../../src/storage/log.ts';
import { TOPIC_CONFIG_NAMES } from '../broker.ts';
import { OPTIONS, kebab, type BrokerConfig, type OptionName } from '../config.ts';
import { kafkaErrorCode, type Handler, type RequestContext } from './context.ts';

// ---------------------------------------------------------------- DescribeConfigs

/** Kafka ConfigResource.Type. */
const ResourceType = { topic: 2, broker: 4 } as const;
/** Kafka DescribeConfigsResponse.ConfigSource. */
const ConfigSource = { dynamicTopic: 1, staticBroker: 4, default: 5 } as const;
/** Kafka ConfigDef.Type ids (DescribeConfigs v3 configType). */
const ConfigType = { boolean: 1, string: 2, int: 3, long: 5 } as const;
/** Kafka's way of writing "no limit" for a long config (Long.MAX_VALUE). */
const LONG_MAX = '9223372036854775807';

/** Each topic config and the broker-level config it defaults from (Kafka's synonym), and its type. */
const TOPIC_CONFIG_SYNONYMS: Record<string, { broker: string; type: number }> = {
  'segment.bytes': { broker: 'log.segment.bytes', type: ConfigType.int },
  'segment.ms': { broker: 'log.roll.ms', type: ConfigType.long },
  'retention.bytes': { broker: 'log.retention.bytes', type: ConfigType.long },
  'retention.ms': { broker: 'log.retention.ms', type: ConfigType.long },
  'flush.messages': { broker: 'log.flush.interval.messages', type: ConfigType.long },
  'flush.ms': { broker: 'log.flush.interval.ms', type: ConfigType.long },
  'max.message.bytes': { broker: 'message.max.bytes', type: ConfigType.int },
  'index.interval.bytes': { broker: 'log.index.interval.bytes', type: ConfigType.int },
};

/** Topic configs copyless does not let a client change, with what it actually does. */
const FIXED_TOPIC_CONFIGS: Array<[string, string, string]> = [
  ['cleanup.policy', 'delete', 'segments are deleted by retention; copyless does not compact'],
  ['compression.type', 'producer', 'batches are stored as the producer compressed them'],
  ['message.timestamp.type', 'CreateTime', "records keep the producer's timestamps"],
];

/** Broker options under Kafka's names, where Kafka has one. */
const BROKER_KAFKA_NAMES: Partial<Record<OptionName, string>> = {
  brokerId: 'broker.id',
  dataDir: 'log.dirs',
  defaultPartitions: 'num.partitions',
  autoCreateTopics: 'auto.create.topics.enable',
  segmentBytes: 'log.segment.bytes',
  segmentMs: 'log.roll.ms',
  retentionBytes: 'log.retention.bytes',
  retentionMs: 'log.retention.ms',
  flushIntervalMessages: 'log.flush.interval.messages',
  flushIntervalMs: 'log.flush.interval.ms',
  messageBytesMax: 'message.max.bytes',
  frameBytesMax: 'socket.request.max.bytes',
  connectionsMax: 'max.connections',
};
const SENSITIVE_OPTIONS = new Set<OptionName>(['httpToken']);

function configValue(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  if (v === Infinity) return LONG_MAX;
  return String(v);
}

interface Entry {
  name: string;
  value: string | null;
  source: number;
  type: number;
  sensitive: boolean;
  doc: string;
  synonyms: { name: string; value: string | null; source: number }[];
}

function topicEntries(ctx: RequestContext, topic: string): Entry[] {
  const description = ctx.broker.describeTopics([topic])[0];
  const overrides = description.config as Partial<LogConfig>;
  const effective = ctx.broker.partitionLog(topic, 0).config;
  const entries: Entry[] = [];
  for (const [name, field] of Object.entries(TOPIC_CONFIG_NAMES)) {
    const brokerSide = TOPIC_CONFIG_SYNONYMS[name];
    const brokerValue = configValue(field in ctx.broker.config ? ctx.broker.config[field as keyof BrokerConfig] : LOG_CONFIG_DEFAULTS[field]);
    const brokerSource: number = brokerValue === configValue(LOG_CONFIG_DEFAULTS[field]) ? ConfigSource.default : ConfigSource.staticBroker;
    const overridden = overrides[field] !== undefined;
    const synonyms = [{ name: brokerSide.broker, value: brokerValue, source: brokerSource }];
    if (overridden) synonyms.unshift({ name, value: configValue(overrides[field]), source: ConfigSource.dynamicTopic });
    entries.push({
      name,
      value: configValue(effective[field]),
      source: overridden ? ConfigSource.dynamicTopic : brokerSource,
      type: brokerSide.type,
      sensitive: false,
      doc: `copyless LogConfig.${field}; set per topic at creation (CreateTopics configs), else the broker's ${brokerSide.broker}`,
      synonyms,
    });
  }
  for (const [name, value, doc] of FIXED_TOPIC_CONFIGS) {
    entries.push({ name, value, source: ConfigSource.default, type: ConfigType.string, sensitive: false, doc, synonyms: [] });
  }
  return entries;
}

function brokerEntries(ctx: RequestContext, name: string): Entry[] {
  const config = ctx.broker.config;
  if (name !== '' && name !== String(config.brokerId)) {
    throw new CopylessError('INVALID_REQUEST', `broker ${name} is not this broker (${config.brokerId})`, { field: 'resourceName' });
  }
  return (Object.keys(OPTIONS) as OptionName[]).map((option) => {
    const spec = OPTIONS[option];
    const value = config[option as keyof BrokerConfig];
    const configName = BROKER_KAFKA_NAMES[option] ?? `copyless.${kebab(option)}`;
    const sensitive = SENSITIVE_OPTIONS.has(option);
    const source = value === spec.default ? ConfigSource.default : ConfigSource.staticBroker;
    const type = spec.kind === 'bool' ? ConfigType.boolean : spec.kind === 'int' || spec.kind === 'number' ? ConfigType.long : ConfigType.string;
    const shown = sensitive ? null : configValue(value);
    return { name: configName, value: shown, source, type, sensitive, doc: spec.description, synonyms: [{ name: configName, value: shown, source }] };
  });
}

function toWire(e: Entry, v: number, req: { includeSynonyms: boolean; includeDocumentation: boolean }): DescribeConfigsEntry {
  return {
    name: e.name,
    value: e.value,
    // No AlterConfigs: nothing can be changed on a running broker.
    readOnly: true,
    isDefault: e.source === ConfigSource.default,
    configSource: e.source,
    isSensitive: e.sensitive,
    synonyms: v >= 1 && req.includeSynonyms ? e.synonyms : [],
    configType: e.type,
    documentation: req.includeDocumentation ? e.doc : null,
  };
}

const describeConfigs: Handler = async (ctx, req) => {
  const v = ctx.header.apiVersion;
  const results = req.resources.map((r: { resourceType: number; resourceName: string; configurationKeys: string[] | null }) => {
    const base = { errorCode: 0, errorMessage: null as string | null, resourceType: r.resourceType, resourceName: r.resourceName, configs: [] as DescribeConfigsEntry[] };
    try {
      let entries: Entry[];
      if (r.resourceType === ResourceType.topic) entries = topicEntries(ctx, r.resourceName);
      else if (r.resourceType === ResourceType.broker) entries = brokerEntries(ctx, r.resourceName);
      else throw new CopylessError('INVALID_REQUEST', `resourceType ${r.resourceType} is not supported; copyless describes topics (2) and its broker (4)`, { field: 'resourceType' });
      // null or empty lists every config, as Kafka does; unknown names are left out.
      const wanted = r.configurationKeys && r.configurationKeys.length > 0 ? new Set(r.configurationKeys) : null;
      base.configs = entries.filter((e) => wanted === null || wanted.has(e.name)).map((e) => toWire(e, v, req));
    } catch (e) {
      base.errorCode = kafkaErrorCode(e);
      base.errorMessage = toCopylessError(e).message;
    }
    return base;
  });
  return { body: { throttleTimeMs: 0, results } };
};

// ---------------------------------------------------------------- CreatePartitions

const createPartitions: Handler = async (ctx, req) => {
  const results = [];
  for (const t of req.topics as { name: string; count: number; assignments: { brokerIds: number[] }[] | null }[]) {
    try {
      const self = ctx.broker.config.brokerId;
      if (t.assignments?.some((a) => a.brokerIds.length !== 1 || a.brokerIds[0] !== self)) {
        throw new CopylessError('INVALID_REPLICA_ASSIGNMENT', `a single broker can only place partitions on itself (broker ${self}, one replica)`, { field: 'assignments' });
      }
      await ctx.broker.createPartitions(t.name, t.count, { validateOnly: req.validateOnly });
      results.push({ name: t.name, errorCode: 0, errorMessage: null });
    } catch (e) {
      results.push({ name: t.name, errorCode: kafkaErrorCode(e), errorMessage: toCopylessError(e).message });
    }
  }
  return { body: { throttleTimeMs: 0, results } };
};

// ---------------------------------------------------------------- DeleteRecords

const deleteRecords: Handler = async (ctx, req) => {
  let moved = false;
  const topics = (req.topics as { name: string; partitions: { partitionIndex: number; offset: number }[] }[]).map((t) => ({
    name: t.name,
    partitions: t.partitions.map((p) => {
      try {
        const log = ctx.broker.partitionLog(t.name, p.partitionIndex);
        const before = log.logStartOffset;
        const lowWatermark = log.deleteRecordsBefore(p.offset);
        moved ||= lowWatermark !== before;
        return { partitionIndex: p.partitionIndex, lowWatermark, errorCode: 0 };
      } catch (e) {
        return { partitionIndex: p.partitionIndex, lowWatermark: -1, errorCode: kafkaErrorCode(e) };
      }
    }),
  }));
  // The new start offsets are durable before the client hears of them: a restart must not resurrect deleted records.
  if (moved) ctx.broker.logs.checkpoint();
  return { body: { throttleTimeMs: 0, topics } };
};

// ---------------------------------------------------------------- OffsetForLeaderEpoch

/** Kafka's UNDEFINED_EPOCH and UNDEFINED_EPOCH_OFFSET. */
const UNDEFINED = -1;
/** Kafka's "no epoch given" for currentLeaderEpoch. */
const NO_EPOCH = -1;

/**
 * A single broker has been leader in LEADER_EPOCH_DEFAULT (0) since the log
 * began, so epoch 0 ends at the log end offset and any other epoch is
 * unknown (Kafka LeaderEpochFileCache.endOffsetFor). A client that believes
 * in a later epoch gets UNKNOWN_LEADER_EPOCH.
 */
const offsetForLeaderEpoch: Handler = async (ctx, req) => {
  const topics = (req.topics as { topic: string; partitions: { partition: number; currentLeaderEpoch: number; leaderEpoch: number }[] }[]).map((t) => ({
    topic: t.topic,
    partitions: t.partitions.map((p) => {
      const out = { errorCode: 0, partition: p.partition, leaderEpoch: UNDEFINED, endOffset: UNDEFINED };
      try {
        const log = ctx.broker.partitionLog(t.topic, p.partition);
        if (p.currentLeaderEpoch !== NO_EPOCH && p.currentLeaderEpoch !== LEADER_EPOCH_DEFAULT) {
          out.errorCode = p.currentLeaderEpoch > LEADER_EPOCH_DEFAULT ? ErrorCode.UNKNOWN_LEADER_EPOCH : ErrorCode.FENCED_LEADER_EPOCH;
        } else if (p.leaderEpoch === LEADER_EPOCH_DEFAULT) {
          out.leaderEpoch = LEADER_EPOCH_DEFAULT;
          out.endOffset = log.logEndOffset;
        }
      } catch (e) {
        out.errorCode = kafkaErrorCode(e);
      }
      return out;
    }),
  }));
  return { body: { throttleTimeMs: 0, topics } };
};

export const adminHandlers = new Map<number, Handler>([
  [ApiKey.DescribeConfigs, describeConfigs],
  [ApiKey.CreatePartitions, createPartitions],
  [ApiKey.DeleteRecords, deleteRecords],
  [ApiKey.OffsetForLeaderEpoch, offsetForLeaderEpoch],
]);
