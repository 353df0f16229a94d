// The one place that owns the WebSocket and the page's state. Views never
// talk to the broker: they read State and call the Store's actions. Data comes
// only from the broker's public APIs: the WebSocket stats channel (stats,
// activity and the binary page map, twice a second) and HTTP routes for the
// rest (topics, batches, segment pages, groups, broker config).

import type { ActivitySnapshot, PageMapLayout, ReadAheadWindow, StatsMessage } from '../../dashboard/messages.ts';
import { decodePageMapFrame, STATS_INCLUDES } from '../../dashboard/messages.ts';
import type { FetchMode } from '../../../src/fetch/fetch-mode.ts';
import type { GroupDescription, GroupSummary } from '../../../src/protocol/extension-payloads.ts';
import type { TopicDescription } from '../../broker.ts';
import type { InspectedBatch } from '../../http/batch-inspect.ts';
import { Api, ApiError } from './api.ts';
import type { Sample } from './rates.ts';

export type { Sample };

export type ViewId = 'overview' | 'cache' | 'path' | 'inspect' | 'groups';
export const VIEW_IDS: readonly ViewId[] = ['overview', 'cache', 'path', 'inspect', 'groups'];

/** The stats channel period the page asks for: two updates a second. */
export const STATS_INTERVAL_MS = 500;
/** Samples kept for the rate charts: two minutes at two a second. */
export const SAMPLES_MAX = 240;
/** Lag points kept per group: ten minutes at one a second. */
const LAG_POINTS_MAX = 600;
const RECONNECT_MS_MAX = 5_000;


export interface TopicSummary {
  name: string;
  partitions: number;
  sizeBytes: number;
  messages: number;
}

export interface SegmentPages {
  topic: string;
  partition: number;
  baseOffset: number;
  active: boolean;
  sizeBytes: number;
  pageBytes: number;
  pages: number;
  states: string;
  counts: Record<string, number>;
  readAhead: { startPage: number; pages: number; asyncPages: number } | null;
}

export interface BatchesAnswer {
  topic: string;
  partition: number;
  fetchOffset: number;
  highWatermark: number;
  logStartOffset: number;
  segmentBaseOffset: number | null;
  nextOffset: number | null;
  stopReason: string | null;
  batches: InspectedBatch[];
}

/** What the fetch-path view draws: the broker's default mode, one mode, or one Kafka connection (in whatever mode it uses now). */
export type PathTarget = { kind: 'default' } | { kind: 'mode'; mode: FetchMode } | { kind: 'connection'; id: number };

export interface State {
  link: 'connecting' | 'open' | 'closed' | 'unauthorized';
  /** The last failed action, shown in the header until the next one succeeds. */
  error: string | null;
  notice: string | null;
  view: ViewId;
  info: { version: string; native: { available: boolean; reason: string | null } } | null;
  samples: Sample[];
  latest: StatsMessage | null;
  activity: ActivitySnapshot | null;
  pageMap: { layout: PageMapLayout; cells: Uint8Array; seq: number; readAhead: ReadAheadWindow[] } | null;
  selectedSegment: { topic: string; partition: number; baseOffset: number } | null;
  segmentPages: SegmentPages | null;
  pathTarget: PathTarget;
  topics: TopicSummary[] | null;
  topic: string | null;
  topicDetail: TopicDescription | null;
  partition: number | null;
  batches: BatchesAnswer | null;
  batchesLoading: boolean;
  bytesAs: 'text' | 'hex';
  groups: GroupSummary[] | null;
  group: string | null;
  groupDetail: GroupDescription | null;
  lagHistory: Record<string, Array<{ t: number; messages: number; bytes: number }>>;
  now: number;
}

type Listener = (s: State) => void;

export class Store {
  readonly api: Api;
  state: State;
  private ws: WebSocket | null = null;
  private pendingMap: { header: NonNullable<StatsMessage['pageMap']> } | null = null;
  private reconnectMs = 500;
  private reconnectTimer: number | null = null;
  private subscribedPageMap = false;
  private readonly listeners = new Set<Listener>();
  private timers: number[] = [];

  constructor(base: string, token: string | null) {
    this.api = new Api(base);
    this.api.token = token;
    this.state = {
      link: 'connecting',
      error: null,
      notice: null,
      view: 'overview',
      info: null,
      samples: [],
      latest: null,
      activity: null,
      pageMap: null,
      selectedSegment: null,
      segmentPages: null,
      pathTarget: { kind: 'default' },
      topics: null,
      topic: null,
      topicDetail: null,
      partition: null,
      batches: null,
      batchesLoading: false,
      bytesAs: 'text',
      groups: null,
      group: null,
      groupDetail: null,
      lagHistory: {},
      now: Date.now(),
    };
  }

  onChange(fn: Listener): void {
    this.listeners.add(fn);
  }

  private set(patch: Partial<State>): void {
    this.state = { ...this.state, ...patch, now: Date.now() };
    for (const fn of this.listeners) fn(this.state);
  }

  start(): void {
    void this.loadInfo();
    this.connect();
    this.every(1000, () => this.poll());
    this.every(2000, () => this.pollLists());
  }

  private every(ms: number, fn: () => void): void {
    this.timers.push(window.setInterval(fn, ms));
  }

  // ------------------------------------------------------------ WebSocket

  private connect(): void {
    if (this.reconnectTimer !== null) window.clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
    const ws = new WebSocket(this.api.socketUrl());
    ws.binaryType = 'arraybuffer';
    this.ws = ws;
    this.pendingMap = null;
    ws.onopen = () => {
      this.reconnectMs = 500;
      this.set({ link: 'open' });
      this.subscribeStats();
    };
    ws.onmessage = (e) => this.onMessage(e.data);
    ws.onclose = () => {
      if (this.ws !== ws) return;
      this.ws = null;
      this.set({ link: this.state.link === 'unauthorized' ? 'unauthorized' : 'closed' });
      this.reconnectTimer = window.setTimeout(() => this.connect(), this.reconnectMs);
      this.reconnectMs = Math.min(RECONNECT_MS_MAX, this.reconnectMs * 2);
    };
  }

  /**
   * (Re)subscribe. The page map is asked for only while the page-cache view is
   * shown (it is the costly part for the broker); the `connection` option
   * follows the fetch-path target so that connection's last fetch comes with every push.
   */
  private subscribeStats(): void {
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN) return;
    const t = this.state.pathTarget;
    this.subscribedPageMap = this.state.view === 'cache';
    this.ws.send(
      JSON.stringify({
        op: 'subscribe',
        channel: 'stats',
        intervalMs: STATS_INTERVAL_MS,
        include: STATS_INCLUDES.filter((x) => x !== 'pageMap' || this.subscribedPageMap),
        ...(t.kind === 'connection' ? { connection: t.id } : {}),
      }),
    );
  }

  private onMessage(data: unknown): void {
    if (data instanceof ArrayBuffer) return this.onPageMap(new Uint8Array(data));
    const m = JSON.parse(String(data)) as { op: string; message?: string };
    if (m.op === 'error') return this.set({ error: `stats channel: ${m.message}` });
    if (m.op !== 'stats') return;
    const msg = m as unknown as StatsMessage;
    if (msg.pageMap) this.pendingMap = { header: msg.pageMap };
    const sample: Sample = { timestamp: msg.timestamp, modes: msg.modes, pageCache: msg.pageCache, activity: msg.activity ?? null };
    const samples = [...this.state.samples, sample].slice(-SAMPLES_MAX);
    this.set({ latest: msg, activity: msg.activity ?? this.state.activity, samples });
  }

  private onPageMap(frame: Uint8Array): void {
    const pending = this.pendingMap;
    this.pendingMap = null;
    if (!pending) return;
    const prev = this.state.pageMap;
    const layout = pending.header.layout ?? (prev && prev.layout.version === pending.header.layoutVersion ? prev.layout : null);
    try {
      if (!layout) throw new Error(`no layout ${pending.header.layoutVersion}`);
      const previous = !pending.header.keyframe && prev ? prev.cells : null;
      const decoded = decodePageMapFrame(frame, previous);
      // Active segments grow between layouts: their page counts come with every push.
      const grown = pending.header.activePages.some(([i, pages]) => layout.files[i] && layout.files[i].pages !== pages);
      const current = grown
        ? { ...layout, files: layout.files.map((f, i) => ({ ...f, pages: pending.header.activePages.find(([j]) => j === i)?.[1] ?? f.pages })) }
        : layout;
      this.set({ pageMap: { layout: current, cells: decoded.cells, seq: decoded.seq, readAhead: pending.header.readAhead } });
    } catch {
      // Out of step (a frame lost with a reconnect): subscribing again starts with a keyframe.
      this.subscribeStats();
    }
  }

  // ------------------------------------------------------------ polling

  private async loadInfo(): Promise<void> {
    try {
      const info = await this.api.get<{ version: string; fetchModes: { native: { available: boolean; reason: string | null } } }>('/broker');
      this.set({ info: { version: info.version, native: info.fetchModes.native } });
    } catch (e) {
      this.fail(e);
    }
  }

  private poll(): void {
    const s = this.state;
    if (s.view === 'cache' && s.selectedSegment) void this.loadSegmentPages();
    if (s.view === 'inspect' && s.topic) void this.loadTopic(s.topic);
    if (s.group) void this.loadGroup(s.group);
  }

  /** Topics while the inspector is shown; groups always, so the first group's lag history starts when the page opens. */
  private pollLists(): void {
    if (this.state.view === 'inspect') void this.loadTopics();
    void this.loadGroups();
  }

  private async loadTopics(): Promise<void> {
    try {
      const topics = (await this.api.get<{ topics: TopicSummary[] }>('/topics')).topics;
      this.set({ topics });
      if (this.state.topic === null && topics.length > 0) this.selectTopic(topics[0].name);
    } catch (e) {
      this.fail(e);
    }
  }

  private async loadTopic(name: string): Promise<void> {
    try {
      const d = await this.api.get<TopicDescription>(`/topics/${encodeURIComponent(name)}`);
      if (this.state.topic !== name) return;
      this.set({ topicDetail: d });
      if (this.state.partition === null && d.partitions.length > 0) this.selectPartition(d.partitions[0].partition);
    } catch (e) {
      this.fail(e);
    }
  }

  private async loadSegmentPages(): Promise<void> {
    const sel = this.state.selectedSegment;
    if (!sel) return;
    try {
      const p = await this.api.get<SegmentPages>(`/topics/${encodeURIComponent(sel.topic)}/partitions/${sel.partition}/segments/${sel.baseOffset}/pages`);
      if (this.state.selectedSegment === sel) this.set({ segmentPages: p });
    } catch (e) {
      if (e instanceof ApiError && e.status === 404) return this.set({ selectedSegment: null, segmentPages: null });
      this.fail(e);
    }
  }

  private async loadGroups(): Promise<void> {
    try {
      const groups = (await this.api.get<{ groups: GroupSummary[] }>('/groups')).groups;
      this.set({ groups });
      if (this.state.group === null && groups.length > 0) this.selectGroup(groups[0].groupId);
    } catch (e) {
      this.fail(e);
    }
  }

  private async loadGroup(id: string): Promise<void> {
    try {
      const d = await this.api.get<GroupDescription>(`/groups/${encodeURIComponent(id)}`);
      const point = { t: Date.now(), messages: d.totalLag, bytes: d.partitions.reduce((n, p) => n + p.lagBytes, 0) };
      const history = [...(this.state.lagHistory[id] ?? []), point].slice(-LAG_POINTS_MAX);
      if (this.state.group === id) this.set({ groupDetail: d, lagHistory: { ...this.state.lagHistory, [id]: history } });
    } catch (e) {
      this.fail(e);
    }
  }

  private fail(e: unknown): void {
    if (e instanceof ApiError && e.status === 401) return this.set({ link: 'unauthorized', error: 'this broker needs its bearer token' });
    this.set({ error: e instanceof Error ? e.message : String(e) });
  }

  /** Run a write, then say what it did (or why not). */
  private async act(what: string, run: () => Promise<string>): Promise<void> {
    try {
      const notice = await run();
      this.set({ error: null, notice: `${what}: ${notice}` });
    } catch (e) {
      this.fail(e);
    }
  }

  // ------------------------------------------------------------ actions

  setToken(token: string): void {
    this.api.token = token || null;
    this.set({ link: 'connecting', error: null });
    const old = this.ws;
    this.ws = null; // its close event must not schedule a reconnect: this one is now
    old?.close();
    this.reconnectMs = 500;
    this.connect();
    void this.loadInfo();
  }

  show(view: ViewId): void {
    this.set({ view });
    if ((view === 'cache') !== this.subscribedPageMap) this.subscribeStats();
    this.pollLists();
    this.poll();
  }

  selectSegment(sel: { topic: string; partition: number; baseOffset: number } | null): void {
    this.set({ selectedSegment: sel, segmentPages: null });
    void this.loadSegmentPages();
  }

  setPathTarget(t: PathTarget): void {
    this.set({ pathTarget: t });
    this.subscribeStats();
  }

  selectTopic(name: string | null): void {
    this.set({ topic: name, topicDetail: null, partition: null, batches: null });
    if (name) void this.loadTopic(name);
  }

  selectPartition(p: number | null): void {
    this.set({ partition: p, batches: null });
    if (p !== null) void this.loadBatches(0);
  }

  async loadBatches(offset: number): Promise<void> {
    const { topic, partition } = this.state;
    if (topic === null || partition === null) return;
    this.set({ batchesLoading: true });
    try {
      const b = await this.api.get<BatchesAnswer>(`/topics/${encodeURIComponent(topic)}/partitions/${partition}/batches?offset=${offset}&limit=10`);
      this.set({ batches: b, batchesLoading: false, error: null });
    } catch (e) {
      this.set({ batchesLoading: false });
      this.fail(e);
    }
  }

  setBytesAs(bytesAs: 'text' | 'hex'): void {
    this.set({ bytesAs });
  }

  selectGroup(id: string | null): void {
    this.set({ group: id, groupDetail: null });
    if (id) void this.loadGroup(id);
  }

  setDefaultFetchMode(mode: FetchMode): Promise<void> {
    return this.act('default fetch mode', async () => {
      const r = await this.api.send<{ fetchMode: string }>('PATCH', '/broker/config', { fetchMode: mode });
      return `${r.fetchMode} for new connections and raw HTTP fetches`;
    });
  }

  setSgDma(on: boolean): Promise<void> {
    return this.act('scatter/gather DMA', async () => {
      const r = await this.api.send<{ sgDma: boolean }>('PATCH', '/broker/config', { sgDma: on });
      return r.sgDma ? 'on (sendfile modelled with no CPU copy)' : 'off';
    });
  }

  dropCaches(): Promise<void> {
    return this.act('drop caches', async () => {
      const r = await this.api.send<{ droppedPages: number; osDropped: boolean }>('POST', '/broker/page-cache/drop');
      return `${r.droppedPages} simulated pages dropped${r.osDropped ? ', OS page cache of the segment files dropped too' : ''}`;
    });
  }

  writeBack(): Promise<void> {
    return this.act('write back', async () => {
      const r = await this.api.send<{ writtenBackPages: number; fsyncs: number }>('POST', '/broker/page-cache/write-back');
      return `${r.writtenBackPages} dirty pages written back with ${r.fsyncs} fdatasync calls`;
    });
  }

  /** One raw fetch of a partition in a mode, so the fetch-path view has a fetch of that mode to draw. */
  tryFetch(mode: FetchMode, topic: string, partition: number): Promise<void> {
    return this.act(`one ${mode} fetch`, async () => {
      const bytes = await this.api.rawFetch(`/topics/${encodeURIComponent(topic)}/partitions/${partition}/records?offset=earliest&maxBytes=65536&fetchMode=${mode}`);
      return `${bytes} bytes from ${topic}-${partition}`;
    });
  }
}
