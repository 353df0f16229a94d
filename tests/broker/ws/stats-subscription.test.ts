// Proves a stats subscription's page-map chain: deltas only follow a frame
// this subscriber received with the same layout; a push skipped while the
// connection is over its send-buffer bound, or a new layout, makes the next
// frame a keyframe; a failing snapshot is skipped, not thrown from the timer.

import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { decodePageMapFrame, type PageMapLayout } from '../../../broker/dashboard/messages.ts';
import type { StatsSource } from '../../../broker/dashboard/stats-source.ts';
import { StatsSubscription, type StatsSink } from '../../../broker/ws/stats-subscription.ts';

function layout(version: number): PageMapLayout {
  return { version, pagesPerCell: 1, files: [{ topic: 't', partition: 0, baseOffset: 0, pages: 4, cells: 4, active: true }] };
}

class FakeSource {
  map = { layout: layout(1), cells: Uint8Array.from([1, 1, 3, 7]), activePages: [[0, 4]] as Array<[number, number]>, readAhead: [] };
  fail = false;
  stats() {
    if (this.fail) throw new Error('snapshot failed');
    return { modes: {}, pageCache: {} };
  }
  pageMap() {
    return this.map;
  }
  activity() {
    return { lastFetch: {} };
  }
}

class FakeSink implements StatsSink {
  open = true;
  readonly sent: Array<{ json: any; frame: Buffer | null }> = [];
  writable(): boolean {
    return this.open;
  }
  sendJson(message: object): void {
    this.sent.push({ json: JSON.parse(JSON.stringify(message)), frame: null });
  }
  sendBinary(views: Buffer[], onWritten: () => void): void {
    this.sent[this.sent.length - 1].frame = Buffer.concat(views);
    onWritten();
  }
}

function subscription(sink: FakeSink, source: FakeSource): { push(): void; sub: StatsSubscription } {
  const sub = new StatsSubscription(sink, source as unknown as StatsSource, { intervalMs: 1000, include: ['pageMap'], connection: null }, 1000, pino({ level: 'silent' }));
  return { sub, push: () => (sub as unknown as { push(): void }).push() };
}

describe('stats subscription', () => {
  it('sends a keyframe, then deltas, and a keyframe again after a skipped push or a new layout', () => {
    const sink = new FakeSink();
    const source = new FakeSource();
    const { push } = subscription(sink, source);
    const keyframes = () => sink.sent.map((s) => s.json.pageMap.keyframe);
    push();
    push();
    expect(keyframes()).toEqual([true, false]);
    sink.open = false;
    push(); // skipped: over the send-buffer bound
    sink.open = true;
    source.map = { ...source.map, cells: Uint8Array.from([1, 3, 3, 7]) };
    push();
    expect(keyframes()).toEqual([true, false, true]);
    push();
    source.map = { ...source.map, layout: layout(2) };
    push();
    expect(keyframes()).toEqual([true, false, true, false, true]);
    expect(sink.sent.map((s) => s.json.pageMap.layout !== undefined)).toEqual(keyframes());
    let cells: Uint8Array | null = null;
    for (const s of sink.sent) {
      expect(s.frame!.length).toBe(s.json.pageMap.bytes);
      cells = decodePageMapFrame(new Uint8Array(s.frame!), s.json.pageMap.keyframe ? null : cells).cells;
    }
    expect([...cells!]).toEqual([1, 3, 3, 7]);
  });

  it('skips a push whose snapshot fails and starts the next page map with a keyframe', () => {
    const sink = new FakeSink();
    const source = new FakeSource();
    const { push } = subscription(sink, source);
    push();
    source.fail = true;
    expect(() => push()).not.toThrow();
    source.fail = false;
    push();
    expect(sink.sent.map((s) => s.json.pageMap.keyframe)).toEqual([true, true]);
  });
});
