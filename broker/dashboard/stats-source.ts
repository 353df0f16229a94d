// Where the stats channel (and GET /broker/activity) get their data: the
// broker's stats, the activity snapshot and the page map, each computed at
// most once per STATS_SNAPSHOT_REUSE_MS however many subscribers ask, so two
// open pages cost about what one does.

import { STATS_SNAPSHOT_REUSE_MS } from '../../src/limits.ts';
import { PAGE_BYTES } from '../../src/limits.ts';
import type { Broker } from '../broker.ts';
import type { ActivitySnapshot, TopicActivity } from './messages.ts';
import { PageMapBuilder, type PageMap } from './page-map.ts';

interface Memo<T> {
  at: number;
  value: T;
}

export class StatsSource {
  private readonly pageMaps: PageMapBuilder;
  private statsMemo: Memo<ReturnType<Broker['stats']>> | null = null;
  private activityMemo: Memo<ActivitySnapshot> | null = null;
  private pageMapMemo: Memo<PageMap> | null = null;

  constructor(
    readonly broker: Broker,
    private readonly now: () => number = Date.now,
  ) {
    this.pageMaps = new PageMapBuilder(broker.pageCache, () => broker.logs.all());
  }

  stats(): ReturnType<Broker['stats']> {
    return (this.statsMemo = this.fresh(this.statsMemo, () => this.broker.stats())).value;
  }

  pageMap(): PageMap {
    return (this.pageMapMemo = this.fresh(this.pageMapMemo, () => this.pageMaps.build())).value;
  }

  /** The shared snapshot, with the last fetch of `connection` when one is named. */
  activity(connection: number | null): ActivitySnapshot {
    const base = (this.activityMemo = this.fresh(this.activityMemo, () => activitySnapshot(this.broker))).value;
    return connection === null ? base : { ...base, connectionFetch: this.broker.activity.connectionFetch(connection) };
  }

  private fresh<T>(memo: Memo<T> | null, make: () => T): Memo<T> {
    const now = this.now();
    if (memo && now - memo.at < STATS_SNAPSHOT_REUSE_MS) return memo;
    return { at: now, value: make() };
  }
}

/** Everything the dashboard shows besides the cumulative stats and the page map. */
export function activitySnapshot(broker: Broker, o: { connection?: number | null } = {}): ActivitySnapshot {
  const { activity, pageCache, config } = broker;
  const topics: TopicActivity[] = broker.topicNames().map((name) => {
    const partitions = [];
    for (let p = 0; p < broker.partitionCount(name); p++) {
      const log = broker.partitionLog(name, p);
      partitions.push({ partition: p, logStartOffset: log.logStartOffset, logEndOffset: log.logEndOffset, sizeBytes: log.sizeBytes });
    }
    return { name, partitions, ...activity.topicCounters(name) };
  });
  const connections = activity.listConnections();
  return {
    defaultFetchMode: config.fetchMode,
    sgDma: broker.sgDma.enabled,
    availableFetchModes: broker.availableFetchModes(),
    cache: {
      policy: pageCache.policy,
      pageBytes: PAGE_BYTES,
      capacityPages: pageCache.capacityPages,
      readAheadMaxPages: pageCache.readAheadMaxPages,
      dirtyBackgroundPages: pageCache.dirtyBackgroundPages,
      dirtyLimitPages: pageCache.dirtyLimitPages,
      dirtyExpireMs: pageCache.dirtyExpireMs,
      dirtyWritebackMs: pageCache.dirtyWritebackMs,
    },
    topics,
    modeRecords: activity.modeRecordCounts(),
    connections: { kafka: connections.listed, kafkaTotal: connections.total, webSockets: activity.webSockets },
    lastFetch: activity.lastFetches(),
    connectionFetch: o.connection === undefined || o.connection === null ? null : activity.connectionFetch(o.connection),
  };
}
