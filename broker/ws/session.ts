// One WebSocket connection: parses the client's ops (ops.ts), runs them
// against the broker core, and owns the connection's bounded send buffer.
//
// Send-buffer bound (ws.bufferedAmount: bytes handed to ws and not yet taken
// by the kernel):
//   > pauseBytes   paused: subscriptions stop fetching (stats pushes are
//                  skipped) until the client reads it back under the limit;
//   > closeBytes   closed at once with SLOW_CONSUMER;
//   paused for longer than slowConsumerMs   closed with SLOW_CONSUMER.
// A subscription checks the pause limit right before each round it sends, so
// the buffer stays under pauseBytes + one round per subscription + control
// messages; closeBytes is the hard cap for everything else (a client that
// sends ops and never reads the answers).

import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import type { WebSocket } from 'ws';
import { CopylessError, errorInfoByName, toCopylessError } from '../../src/errors.ts';
import { CONNECTION_INFLIGHT_MAX } from '../../src/limits.ts';
import { isModelledMode, type FetchMode } from '../../src/fetch/fetch-mode.ts';
import type { Broker } from '../broker.ts';
import type { GroupCoordinator } from '../groups/coordinator.ts';
import { resolveOffset } from '../http/fetch.ts';
import type { RecordProducer } from '../http/produce.ts';
import { OP_NAMES, opIdOf, parseOp, type ClientOp, type OpId, type SubscribeOp } from './ops.ts';
import { PartitionSubscription, type SubscriptionSink } from './subscription.ts';
import type { WsLimits } from './limits.ts';
import type { StatsSource } from '../dashboard/stats-source.ts';
import { StatsSubscription } from './stats-subscription.ts';

/** How often a paused connection's buffer is looked at (besides the socket's 'drain' event). */
const PAUSED_CHECK_INTERVAL_MS = 50;
/** Longest close reason a close frame carries (RFC 6455: 125-byte control payload minus the 2-byte code). */
const CLOSE_REASON_BYTES_MAX = 123;

export interface SessionHost {
  readonly broker: Broker;
  /** The group coordinator a subscription's `group` reads committed offsets from; null when the broker runs without one. */
  readonly groups: GroupCoordinator | null;
  readonly logger: Logger;
  readonly producer: RecordProducer;
  readonly limits: WsLimits;
  /** Shared snapshots for every stats subscription. */
  readonly stats: StatsSource;
  onPaused(): void;
  onSlowConsumerClose(): void;
  onClosed(session: WsSession): void;
}

export class WsSession implements SubscriptionSink {
  readonly subscriptions = new Map<number, PartitionSubscription[]>();
  /** The `stats` channel subscription, null when not subscribed. */
  stats: StatsSubscription | null = null;
  paused = false;
  /** Largest ws.bufferedAmount seen right after a send: what the bound is checked against. */
  bufferedBytesMax = 0;
  /** Events in order ('paused', 'resumed', 'slow-consumer-close'), for tests and debugging. */
  readonly events: string[] = [];
  private pausedAt = 0;
  private pausedTimer: NodeJS.Timeout | null = null;
  private waiters: Array<(ok: boolean) => void> = [];
  private nextSubscription = 1;
  private opChain: Promise<void> = Promise.resolve();
  private opsQueued = 0;
  private closed = false;

  constructor(
    readonly ws: WebSocket,
    socket: Socket,
    private readonly host: SessionHost,
  ) {
    ws.on('message', (data, isBinary) => this.onMessage(data as Buffer, isBinary));
    ws.on('close', () => this.onClose());
    ws.on('error', (err) => host.logger.debug({ err: err.message }, 'WebSocket error'));
    socket.on('drain', () => this.checkBuffer());
  }

  get partitionSubscriptions(): number {
    let n = 0;
    for (const list of this.subscriptions.values()) n += list.length;
    return n;
  }

  // ------------------------------------------------------------ sending

  writable(): boolean {
    return !this.closed && !this.paused && this.ws.bufferedAmount <= this.host.limits.pauseBytes;
  }

  whenWritable(): Promise<boolean> {
    if (this.closed) return Promise.resolve(false);
    if (this.writable()) return Promise.resolve(true);
    if (!this.paused) this.checkBuffer();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  sendJson(message: object): void {
    if (this.closed || this.ws.readyState !== this.ws.OPEN) return;
    const text = JSON.stringify(message);
    this.ws.send(text);
    this.host.broker.telemetry.bytesOut('ws', Buffer.byteLength(text));
    this.checkBuffer();
  }

  sendBinary(views: Buffer[], onWritten: () => void): void {
    if (this.closed || this.ws.readyState !== this.ws.OPEN) return onWritten();
    let bytes = 0;
    for (let i = 0; i < views.length; i++) {
      const last = i === views.length - 1;
      this.ws.send(views[i], { binary: true, fin: last }, last ? () => onWritten() : undefined);
      bytes += views[i].length;
    }
    this.host.broker.telemetry.bytesOut('ws', bytes);
    this.checkBuffer();
  }

  sendError(e: unknown, extra: Record<string, unknown> = {}): void {
    const err = toCopylessError(e);
    this.sendJson({ op: 'error', ...extra, code: err.code, name: err.errorName, message: err.message });
  }

  ended(subscription: number, partition: number, error: unknown): void {
    this.sendError(error, { subscription, partition });
    const list = this.subscriptions.get(subscription)?.filter((s) => s.o.partition !== partition);
    if (list && list.length > 0) this.subscriptions.set(subscription, list);
    else this.subscriptions.delete(subscription);
  }

  /** Apply the send-buffer bound after a send, on 'drain' and on the paused timer. */
  private checkBuffer(): void {
    if (this.closed) return;
    const buffered = this.ws.bufferedAmount;
    if (buffered > this.bufferedBytesMax) this.bufferedBytesMax = buffered;
    const { pauseBytes, closeBytes, slowConsumerMs } = this.host.limits;
    if (buffered > closeBytes) return this.closeSlow(`send buffer ${buffered} bytes, over wsCloseBytes=${closeBytes}`);
    if (buffered > pauseBytes) {
      if (!this.paused) this.pause();
      else if (Date.now() - this.pausedAt > slowConsumerMs) this.closeSlow(`paused over wsPauseBytes=${pauseBytes} for more than wsSlowConsumerMs=${slowConsumerMs}`);
      return;
    }
    if (this.paused) this.resume();
  }

  private pause(): void {
    this.paused = true;
    this.pausedAt = Date.now();
    this.events.push('paused');
    this.host.onPaused();
    this.pausedTimer = setInterval(() => this.checkBuffer(), PAUSED_CHECK_INTERVAL_MS);
    this.pausedTimer.unref();
  }

  private resume(): void {
    this.paused = false;
    this.events.push('resumed');
    this.clearPausedTimer();
    for (const w of this.waiters.splice(0)) w(true);
  }

  private clearPausedTimer(): void {
    if (this.pausedTimer) clearInterval(this.pausedTimer);
    this.pausedTimer = null;
  }

  /** Close with SLOW_CONSUMER; the close frame waits behind the buffered data, so the peer gets closeGraceMs to read it. */
  private closeSlow(reason: string): void {
    this.events.push('slow-consumer-close');
    this.host.onSlowConsumerClose();
    this.host.logger.warn({ reason, bufferedBytes: this.ws.bufferedAmount }, 'closing slow WebSocket consumer');
    this.close(errorInfoByName('SLOW_CONSUMER').wsClose, `SLOW_CONSUMER: ${reason}`);
  }

  /** Stop everything, send a close frame, and destroy the socket if the peer has not answered within closeGraceMs. */
  close(code: number, reason: string): void {
    if (this.closed) return;
    this.shutdown();
    this.ws.close(code, Buffer.from(reason).subarray(0, CLOSE_REASON_BYTES_MAX).toString());
    setTimeout(() => this.ws.terminate(), this.host.limits.closeGraceMs).unref();
  }

  private shutdown(): void {
    this.closed = true;
    this.clearPausedTimer();
    for (const list of this.subscriptions.values()) for (const s of list) s.stop();
    this.subscriptions.clear();
    this.stopStats();
    for (const w of this.waiters.splice(0)) w(false);
  }

  private onClose(): void {
    if (!this.closed) this.shutdown();
    this.host.onClosed(this);
  }

  // ------------------------------------------------------------ receiving

  private onMessage(data: Buffer, isBinary: boolean): void {
    this.host.broker.telemetry.bytesIn('ws', data.length);
    if (isBinary) {
      this.sendError(new CopylessError('INVALID_REQUEST', 'binary messages are not ops; send JSON text messages', { field: 'message' }));
      return;
    }
    const text = data.toString('utf8');
    // Ops run one after another, so answers come in request order; a client that queues too many is not read until they drain.
    this.opsQueued++;
    if (this.opsQueued >= CONNECTION_INFLIGHT_MAX) this.ws.pause();
    this.opChain = this.opChain.then(() => this.runOp(text)).finally(() => {
      this.opsQueued--;
      if (this.opsQueued < CONNECTION_INFLIGHT_MAX / 2 && this.ws.isPaused && !this.closed) this.ws.resume();
    });
  }

  private async runOp(text: string): Promise<void> {
    if (this.closed) return;
    const started = performance.now();
    let name = 'invalid';
    let id: OpId = null;
    try {
      const op = parseOp(text);
      name = op.op;
      id = op.id;
      await this.dispatch(op);
      this.host.broker.telemetry.request('ws', name, (performance.now() - started) / 1000, 0);
    } catch (e) {
      const err = toCopylessError(e);
      if (name === 'invalid') name = knownOpOf(text) ?? name;
      if (id === null) id = safeIdOf(text);
      this.sendError(err, id === null ? {} : { id });
      this.host.broker.telemetry.request('ws', name, (performance.now() - started) / 1000, err.code);
    }
  }

  private async dispatch(op: ClientOp): Promise<void> {
    switch (op.op) {
      case 'subscribe':
        return this.subscribe(op);
      case 'subscribe-stats': {
        this.stopStats();
        const stats = new StatsSubscription(this, this.host.stats, op.options ?? null, this.host.limits.statsIntervalMs, this.host.logger);
        const options = op.options ? { include: op.options.include, connection: op.options.connection } : {};
        this.sendJson({ op: 'subscribed', id: op.id, channel: 'stats', intervalMs: stats.intervalMs, ...options });
        this.stats = stats;
        stats.start();
        return;
      }
      case 'unsubscribe': {
        const list = this.subscriptions.get(op.subscription);
        if (!list) throw new CopylessError('NOT_FOUND', `no subscription ${op.subscription} on this connection`, { field: 'subscription' });
        for (const s of list) s.stop();
        this.subscriptions.delete(op.subscription);
        this.sendJson({ op: 'unsubscribed', id: op.id, subscription: op.subscription });
        return;
      }
      case 'unsubscribe-stats':
        this.stopStats();
        this.sendJson({ op: 'unsubscribed', id: op.id, channel: 'stats' });
        return;
      case 'produce': {
        const out = await this.host.producer.produceJson(op.topic, op.records, { acks: op.acks, timeoutMs: op.timeoutMs, partition: op.partition });
        this.sendJson({ op: 'ack', id: op.id, ...out });
        return;
      }
      case 'ping':
        this.sendJson({ op: 'pong', id: op.id });
    }
  }

  private stopStats(): void {
    this.stats?.stop();
    this.stats = null;
  }

  private subscribe(op: SubscribeOp): void {
    const { broker, limits } = this.host;
    if (!broker.hasTopic(op.topic)) throw new CopylessError('UNKNOWN_TOPIC_OR_PARTITION', `topic ${op.topic} does not exist`, { topic: op.topic });
    const count = broker.partitionCount(op.topic);
    if (op.partition !== null && op.partition >= count) {
      throw new CopylessError('UNKNOWN_TOPIC_OR_PARTITION', `topic ${op.topic} has partitions 0..${count - 1}, not ${op.partition}`, {
        topic: op.topic,
        partition: op.partition,
      });
    }
    const partitions = op.partition === null ? [...Array(count).keys()] : [op.partition];
    if (this.partitionSubscriptions + partitions.length > limits.subscriptionsMax) {
      throw new CopylessError('LIMIT_EXCEEDED', `this connection would hold ${this.partitionSubscriptions + partitions.length} partition subscriptions, over wsSubscriptionsMax=${limits.subscriptionsMax}`, {
        limit: 'wsSubscriptionsMax',
        max: limits.subscriptionsMax,
      });
    }
    const committed = op.group === null ? new Map<number, number>() : this.committedOffsets(op.group, op.topic);
    const fetchMode = this.modeFor(op);
    const subscription = this.nextSubscription++;
    const list = partitions.map((partition) => {
      const c = committed.get(partition);
      const offset = c !== undefined && c >= 0 ? c : resolveOffset(broker, op.topic, partition, op.offset);
      const o = { subscription, topic: op.topic, partition, offset, format: op.format, fetchMode, maxBytes: op.maxBytes, encoding: op.encoding, fetchWaitMs: limits.fetchWaitMs };
      return new PartitionSubscription(broker, this, o);
    });
    this.subscriptions.set(subscription, list);
    this.sendJson({
      op: 'subscribed',
      id: op.id,
      subscription,
      topic: op.topic,
      group: op.group,
      format: op.format,
      fetchMode,
      partitions: list.map((s) => ({ partition: s.o.partition, offset: s.position })),
    });
    for (const s of list) s.start();
  }

  /** JSON is decoded in user space (copy); binary uses the asked mode, or the broker default when it is a modelled one. */
  private modeFor(op: SubscribeOp): FetchMode {
    if (op.format === 'json') return 'copy';
    const mode = op.fetchMode ?? this.host.broker.config.fetchMode;
    if (isModelledMode(mode)) return mode;
    return 'sendfile';
  }

  /** The group's committed offsets for the topic; a group with no commits (or unknown) starts from `offset`. */
  private committedOffsets(group: string, topic: string): Map<number, number> {
    const groups = this.host.groups;
    if (!groups) throw new CopylessError('COORDINATOR_NOT_AVAILABLE', 'this broker has no group coordinator running', { field: 'group' });
    try {
      const d = groups.describeGroup(group);
      return new Map(d.partitions.filter((p) => p.topic === topic).map((p) => [p.partition, p.committedOffset]));
    } catch (e) {
      if (toCopylessError(e).errorName === 'GROUP_ID_NOT_FOUND') return new Map();
      throw e;
    }
  }
}

/** The op named by a message that failed to parse, when it names a known one (a bounded telemetry label). */
function knownOpOf(text: string): string | null {
  try {
    const op = (JSON.parse(text) as { op?: unknown }).op;
    return typeof op === 'string' && OP_NAMES.includes(op) ? op : null;
  } catch {
    return null;
  }
}

function safeIdOf(text: string): OpId {
  try {
    return opIdOf(JSON.parse(text));
  } catch {
    return null;
  }
}
