// Topic administration and the copyless extension APIs.
//
// CreateTopics and DeleteTopics go to the controller named by Metadata, as
// Kafka requires. The extension APIs (broker info, stats, describe with
// segments, drop caches, consumer groups with lag, offset resets) exist only
// on copyless: each carries one JSON document each way; against Kafka they
// fail with UNSUPPORTED_VERSION. The group calls go through a GroupClient
// (client/group/), which owns the group APIs' version table.

import { CopylessError, ErrorCode } from '../src/errors.ts';
import { ApiKey, API_NAMES } from '../src/protocol/index.ts';
import type {
  CopylessJsonResponse,
  CreateTopicsResponse,
  DeleteTopicsResponse,
  GroupDescription,
  GroupLagPartition,
  GroupSummary,
  MetadataResponse,
} from '../src/protocol/index.ts';
import type { Cluster } from './cluster.ts';
import { kafkaError } from './kafka-error.ts';
import { GroupClient } from './group/group-client.ts';

export interface TopicSpec {
  topic: string;
  /** Default 1. */
  numPartitions?: number;
  /** Default 1 (copyless is one broker). */
  replicationFactor?: number;
  configEntries?: { name: string; value: string | null }[];
}

export interface SegmentDescription {
  baseOffset: number;
  sizeBytes: number;
  residentPages: number;
  dirtyPages: number;
  active: boolean;
}

export interface PartitionDescription {
  partition: number;
  logStartOffset: number;
  logEndOffset: number;
  sizeBytes: number;
  segments: SegmentDescription[];
}

export interface TopicDescription {
  name: string;
  partitions: PartitionDescription[];
}

/** CopylessBrokerInfo. */
export interface BrokerInfo {
  name: 'copyless';
  version: string;
  brokerId: number;
  fetchModes: { default: string; available: string[]; native: { available: boolean; reason: string | null } };
  config: Record<string, unknown>;
}

/** One fetch mode's counters in CopylessStats (more may be present). */
export interface FetchModeStats {
  fetches: number;
  bytes: number;
  syscalls: number;
  modeSwitches: number;
  pageFaults: number;
  cpuCopies: number;
  cpuCopyBytes: number;
  dmaCopies: number;
  dmaBytes: number;
  pageCacheHits: number;
  pageCacheMisses: number;
  [counter: string]: number;
}

export interface BrokerStats {
  modes: Record<string, FetchModeStats>;
  pageCache: Record<string, unknown>;
  /** The scatter/gather DMA assumption sendfile and splice are counted with (absent from older brokers). */
  sgDma?: { enabled: boolean; source: 'flag' | 'detected' | 'default'; detail: string };
  /** Real fdatasyncs of segment files and the bytes they covered; the simulated write-back (absent from older brokers). */
  durability?: { fsyncs: number; fsyncBytes: number; writeBackPages: number; writeBackBytes: number };
}

export type { GroupDescription, GroupLagPartition, GroupSummary };

export interface ResetOffsetsSpec {
  topic: string;
  /** Default: every partition of the topic. */
  partitions?: number[];
  to: 'earliest' | 'latest' | 'offset';
  /** With to: 'offset'; clamped by the broker into [logStartOffset, logEndOffset]. */
  offset?: number;
}

const TOPIC_REQUEST_TIMEOUT_MS = 30_000;
const RESET_TARGETS = ['earliest', 'latest', 'offset'];

export class Admin {
  private readonly cluster: Cluster;
  private groupClient: GroupClient | null = null;

  constructor(cluster: Cluster) {
    this.cluster = cluster;
  }

  async connect(): Promise<void> {
    await this.cluster.connect();
  }

  async disconnect(): Promise<void> {
    const groups = this.groupClient;
    this.groupClient = null;
    await groups?.close();
    await this.cluster.disconnect();
  }

  // ---- consumer groups (copyless only) --------------------------------------

  /** Every group with members or committed offsets, sorted by id. */
  async listGroups(): Promise<GroupSummary[]> {
    return (await this.groups().json<{ groups: GroupSummary[] }>(ApiKey.CopylessGroups, {})).groups;
  }

  /** Members, assignments and per-partition lag; GROUP_ID_NOT_FOUND when the group has neither members nor commits. */
  async describeGroup(groupId: string): Promise<GroupDescription> {
    requireGroupId(groupId);
    return this.groups().json<GroupDescription>(ApiKey.CopylessGroups, { groupId });
  }

  /**
   * Moves a group's committed offsets of one topic; NON_EMPTY_GROUP while the
   * group has members (they would overwrite them). Returns the new offsets.
   */
  async resetOffsets(groupId: string, o: ResetOffsetsSpec): Promise<{ topic: string; partition: number; offset: number }[]> {
    requireGroupId(groupId);
    if (!o || typeof o.topic !== 'string' || o.topic === '') throw new CopylessError('INVALID_REQUEST', 'resetOffsets needs { topic, to }', { field: 'topic' });
    if (!RESET_TARGETS.includes(o.to)) {
      throw new CopylessError('INVALID_REQUEST', `to must be one of ${RESET_TARGETS.join(', ')}, got ${JSON.stringify(o.to)}`, { field: 'to' });
    }
    if (o.to === 'offset' && !(Number.isSafeInteger(o.offset) && o.offset! >= 0)) {
      throw new CopylessError('INVALID_REQUEST', `offset must be an integer >= 0 with to: 'offset', got ${String(o.offset)}`, { field: 'offset' });
    }
    if (o.partitions !== undefined && !(Array.isArray(o.partitions) && o.partitions.every((p) => Number.isInteger(p) && p >= 0))) {
      throw new CopylessError('INVALID_REQUEST', 'partitions must be an array of partition ids >= 0', { field: 'partitions' });
    }
    const payload = { groupId, topic: o.topic, partitions: o.partitions, to: o.to, offset: o.offset };
    return (await this.groups().json<{ partitions: { topic: string; partition: number; offset: number }[] }>(ApiKey.CopylessResetOffsets, payload)).partitions;
  }

  private groups(): GroupClient {
    this.groupClient ??= new GroupClient(this.cluster.o);
    return this.groupClient;
  }

  /** True if at least one topic was created; false when every one already existed (as kafkajs). */
  async createTopics(o: { topics: TopicSpec[]; timeoutMs?: number; validateOnly?: boolean }): Promise<boolean> {
    if (!o || !Array.isArray(o.topics) || o.topics.length === 0) {
      throw new CopylessError('INVALID_REQUEST', 'createTopics needs { topics: [{ topic, numPartitions? }] }', { field: 'topics' });
    }
    const topics = o.topics.map((t, i) => {
      if (typeof t?.topic !== 'string' || t.topic === '') {
        throw new CopylessError('INVALID_TOPIC_EXCEPTION', `topics[${i}].topic must be a non-empty string`, { field: `topics[${i}].topic` });
      }
      return {
        name: t.topic,
        numPartitions: t.numPartitions ?? 1,
        replicationFactor: t.replicationFactor ?? 1,
        assignments: [],
        configs: t.configEntries ?? [],
      };
    });
    const body = { topics, timeoutMs: o.timeoutMs ?? TOPIC_REQUEST_TIMEOUT_MS, validateOnly: o.validateOnly ?? false };
    const res = await this.toController<CreateTopicsResponse>(ApiKey.CreateTopics, body);
    let created = 0;
    for (const t of res.topics) {
      if (t.errorCode === ErrorCode.TOPIC_ALREADY_EXISTS) continue;
      if (t.errorCode !== 0) throw kafkaError(t.errorCode, `create topic ${JSON.stringify(t.name)}`, { topic: t.name }, t.errorMessage);
      created++;
    }
    // Like kafkajs: wait until Metadata shows a leader for every new partition.
    if (created > 0 && !body.validateOnly) await this.cluster.topicMetadata(topics.map((t) => t.name));
    return created > 0;
  }

  async deleteTopics(names: string[]): Promise<void> {
    if (!Array.isArray(names) || names.length === 0 || names.some((n) => typeof n !== 'string' || n === '')) {
      throw new CopylessError('INVALID_REQUEST', 'deleteTopics takes a non-empty array of topic names', { field: 'topics' });
    }
    const res = await this.toController<DeleteTopicsResponse>(ApiKey.DeleteTopics, { topicNames: names, timeoutMs: TOPIC_REQUEST_TIMEOUT_MS });
    for (const r of res.responses) {
      if (r.errorCode !== 0) throw kafkaError(r.errorCode, `delete topic ${JSON.stringify(r.name)}`, { topic: r.name });
    }
    await this.cluster.refreshMetadata(names).catch(() => undefined);
  }

  /** Every topic name, sorted. */
  async listTopics(): Promise<string[]> {
    const res = await this.cluster.retry(() => this.cluster.sendAny<MetadataResponse>(ApiKey.Metadata, { topics: null, allowAutoTopicCreation: false }));
    return res.topics.filter((t) => t.errorCode === 0).map((t) => t.name).sort();
  }

  /**
   * Per name, null when the topic exists, else why not: UNKNOWN_TOPIC_OR_PARTITION
   * or INVALID_TOPIC_EXCEPTION. Never creates a topic (Metadata with
   * allowAutoTopicCreation false).
   */
  async topicProblems(names: string[]): Promise<(CopylessError | null)[]> {
    const res = await this.cluster.retry(() =>
      this.cluster.sendAny<MetadataResponse>(ApiKey.Metadata, { topics: names.map((name) => ({ name })), allowAutoTopicCreation: false }),
    );
    return names.map((name) => {
      const code = res.topics.find((t) => t.name === name)?.errorCode ?? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
      if (code === 0) return null;
      if (code === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION) return new CopylessError(code, `topic ${JSON.stringify(name)} does not exist`, { topic: name });
      if (code === ErrorCode.INVALID_TOPIC_EXCEPTION) {
        return new CopylessError(code, `topic name ${JSON.stringify(name)} is invalid: use ASCII letters, digits, '.', '_' and '-', at most 249 characters, not '.' or '..'`, {
          topic: name,
        });
      }
      return kafkaError(code, `metadata for topic ${JSON.stringify(name)}`, { topic: name });
    });
  }

  /** Partitions with start/end offsets, bytes and segments (copyless only); all topics when `names` is omitted. */
  async describeTopics(names?: string[]): Promise<TopicDescription[]> {
    await this.cluster.connect();
    const brokers = this.cluster.brokers();
    const answers = await Promise.all(
      brokers.map((b) => this.jsonCall<{ topics: TopicDescription[] }>(ApiKey.CopylessDescribeTopics, { topics: names ?? null }, b.nodeId)),
    );
    if (brokers.length === 1) return answers[0].topics;
    return mergeByLeader(this.cluster, brokers.map((b, i) => ({ nodeId: b.nodeId, topics: answers[i].topics })));
  }

  async brokerInfo(nodeId?: number): Promise<BrokerInfo> {
    return this.jsonCall<BrokerInfo>(ApiKey.CopylessBrokerInfo, {}, nodeId);
  }

  async stats(nodeId?: number): Promise<BrokerStats> {
    return JSON.parse(await this.statsJson(nodeId)) as BrokerStats;
  }

  /** CopylessStats exactly as the broker returned it. */
  async statsJson(nodeId?: number): Promise<string> {
    return this.jsonText(ApiKey.CopylessStats, {}, nodeId);
  }

  /** Empties the broker's simulated page cache (cold-cache experiments). */
  async dropCaches(nodeId?: number): Promise<{ droppedPages: number }> {
    return this.jsonCall<{ droppedPages: number }>(ApiKey.CopylessDropCaches, {}, nodeId);
  }

  private async toController<T>(apiKey: number, body: unknown): Promise<T> {
    return this.cluster.retry(async () => {
      if (this.cluster.controller < 0) await this.cluster.refreshMetadata([]);
      const controller = this.cluster.controller;
      if (controller < 0) return this.cluster.sendAny<T>(apiKey, body);
      return this.cluster.send<T>(controller, apiKey, body);
    }, []);
  }

  private async jsonCall<T>(apiKey: number, payload: unknown, nodeId?: number): Promise<T> {
    return JSON.parse(await this.jsonText(apiKey, payload, nodeId)) as T;
  }

  private async jsonText(apiKey: number, payload: unknown, nodeId?: number): Promise<string> {
    const body = { json: JSON.stringify(payload) };
    const res = await this.cluster.retry(async () => {
      if (nodeId === undefined) return this.cluster.sendAny<CopylessJsonResponse>(apiKey, body);
      if (this.cluster.brokers().length === 0) await this.cluster.connect();
      return this.cluster.send<CopylessJsonResponse>(nodeId, apiKey, body);
    });
    if (res.errorCode !== 0) throw kafkaError(res.errorCode, API_NAMES.get(apiKey) ?? `api ${apiKey}`, {}, res.errorMessage);
    return res.json;
  }
}

function requireGroupId(groupId: string): void {
  if (typeof groupId !== 'string' || groupId === '') throw new CopylessError('INVALID_GROUP_ID', 'groupId must be a non-empty string', { field: 'groupId' });
}

/** With several brokers, each partition is described by its leader. */
function mergeByLeader(cluster: Cluster, answers: { nodeId: number; topics: TopicDescription[] }[]): TopicDescription[] {
  const merged = new Map<string, Map<number, PartitionDescription>>();
  for (const { nodeId, topics } of answers) {
    for (const t of topics) {
      let parts = merged.get(t.name);
      if (parts === undefined) merged.set(t.name, (parts = new Map()));
      for (const p of t.partitions) {
        const leader = cluster.cachedTopic(t.name)?.partitions.find((x) => x.partition === p.partition)?.leader;
        if (!parts.has(p.partition) || leader === nodeId) parts.set(p.partition, p);
      }
    }
  }
  return [...merged].map(([name, parts]) => ({ name, partitions: [...parts.values()].sort((a, b) => a.partition - b.partition) }));
}
