// Proves the page map draws the simulated page cache as it is: every page of
// every segment in (topic, partition, base offset) order, dirty after an
// append, under write-back while an fdatasync runs, clean and inactive after
// it, active after a second read, pinned while a send holds it; room to grow
// after an active segment's pages; several pages per cell (with a fill level)
// past the cell budget; and a layout version that changes only when files or
// their cell counts do.

import { afterEach, describe, expect, it } from 'vitest';
import { PageMapBuilder, pagesPerCellFor, type PageMap } from '../../../broker/dashboard/page-map.ts';
import { CellState, cellFill, cellState } from '../../../broker/dashboard/messages.ts';
import { PAGE_MAP_CELLS_MAX } from '../../../src/limits.ts';
import { startCoreBroker, type CoreBroker } from './core-broker.ts';

let core: CoreBroker | null = null;
afterEach(async () => {
  await core?.destroy();
  core = null;
});

function builder(c: CoreBroker, cellsMax?: number): PageMapBuilder {
  return new PageMapBuilder(c.broker.pageCache, () => c.broker.logs.all(), cellsMax);
}

/** The state codes of one file's cells. */
function states(map: PageMap, file: number): number[] {
  let first = 0;
  for (let i = 0; i < file; i++) first += map.layout.files[i].cells;
  return [...map.cells.subarray(first, first + map.layout.files[file].cells)].map(cellState);
}

describe('page map', () => {
  it('follows a segment from dirty to under write-back to clean and inactive, then active and pinned', async () => {
    core = await startCoreBroker();
    const { broker } = core;
    await broker.createTopic('t', { partitions: 1 });
    await core.produce('t', 0, 10, 1000); // ~10 KB: 3 pages
    const b = builder(core);
    let map = b.build();
    expect(map.layout.files).toHaveLength(1);
    const f = map.layout.files[0];
    expect(f).toMatchObject({ topic: 't', partition: 0, baseOffset: 0, active: true, pages: 3 });
    expect(map.activePages).toEqual([[0, 3]]);
    expect(map.readAhead).toEqual([]);
    expect(f.cells).toBe(16); // room to grow: PAGE_MAP_ACTIVE_SEGMENT_PAGES_MIN
    expect(states(map, 0)).toEqual([...Array(3).fill(CellState.DIRTY), ...Array(13).fill(CellState.BEYOND_EOF)]);

    const log = broker.partitionLog('t', 0);
    const flushed = log.flush(); // the fdatasync is now in flight
    expect(states(b.build(), 0).slice(0, 3)).toEqual(Array(3).fill(CellState.WRITEBACK));
    await flushed;
    map = b.build();
    expect(states(map, 0).slice(0, 3)).toEqual(Array(3).fill(CellState.INACTIVE));

    const fileId = log.segments()[0].fileId;
    broker.pageCache.read(fileId, 0, 8192);
    broker.pageCache.read(fileId, 0, 8192);
    expect(states(b.build(), 0).slice(0, 3)).toEqual([CellState.ACTIVE, CellState.ACTIVE, CellState.INACTIVE]);
    const pinned = broker.pageCache.read(fileId, 8192, 100, { pin: true });
    expect(states(b.build(), 0)[2]).toBe(CellState.PINNED);
    broker.pageCache.release(pinned.pin!);
    broker.dropCaches();
    expect(states(b.build(), 0).slice(0, 3)).toEqual(Array(3).fill(CellState.NONE));
  });

  it('orders files by topic, partition and base offset, and keeps its layout version until files or cells change', async () => {
    core = await startCoreBroker();
    const { broker } = core;
    await broker.createTopic('b', { partitions: 2 });
    await broker.createTopic('a', { partitions: 1 });
    await core.produce('b', 1, 5, 1000);
    await core.produce('a', 0, 5, 1000);
    const b = builder(core);
    const first = b.build();
    expect(first.layout.files.map((f) => `${f.topic}-${f.partition}`)).toEqual(['a-0', 'b-0', 'b-1']);
    await core.produce('b', 1, 6, 1000); // grows inside its room: same layout
    const second = b.build();
    expect(second.layout.version).toBe(first.layout.version);
    expect(second.layout.files[2].pages).toBeGreaterThan(first.layout.files[2].pages);
    expect(second.activePages.map(([i]) => i)).toEqual([0, 1, 2]);
    expect(second.activePages[2][1]).toBe(second.layout.files[2].pages);
    for (let i = 0; i < 3; i++) await core.produce('b', 1, 100, 1000); // past 16 pages: more cells
    const third = b.build();
    expect(third.layout.version).toBeGreaterThan(second.layout.version);
    for (let i = 0; i < 8; i++) await core.produce('b', 1, 100, 1000); // past 1 MiB: a new segment
    const fourth = b.build();
    expect(fourth.layout.files.filter((f) => f.topic === 'b' && f.partition === 1).map((f) => f.active)).toEqual([false, true]);
    expect(fourth.layout.version).toBeGreaterThan(third.layout.version);
  });

  it('puts several pages in a cell past the cell budget, with the fill level of each cell', async () => {
    core = await startCoreBroker();
    const { broker } = core;
    await broker.createTopic('t', { partitions: 1 });
    for (let i = 0; i < 4; i++) await core.produce('t', 0, 30, 1000); // ~120 KB: 30 pages, room to 32
    const map = builder(core, 10).build();
    expect(map.layout.pagesPerCell).toBe(4);
    expect(map.cells.length).toBe(8);
    const fileId = broker.partitionLog('t', 0).segments()[0].fileId;
    await broker.partitionLog('t', 0).flush();
    broker.dropCaches();
    broker.pageCache.read(fileId, 0, 4096); // one page of the first cell, plus whatever read-ahead brings
    const after = builder(core, 10).build();
    const resident = broker.pageCache.pageStates(fileId).slice(0, 4).filter((s) => s !== 0).length;
    expect(cellFill(after.cells[0])).toBe(resident === 4 ? 3 : resident >= 2 ? 2 : 1);
    expect(after.readAhead).toHaveLength(1);
    expect(after.readAhead[0][0]).toBe(0);
    expect(after.readAhead[0][1]).toBe(0);
  });

  it('chooses the smallest power-of-two pages per cell that fits the budget', () => {
    expect(pagesPerCellFor([PAGE_MAP_CELLS_MAX])).toBe(1);
    expect(pagesPerCellFor([PAGE_MAP_CELLS_MAX + 1])).toBe(2);
    expect(pagesPerCellFor([100, 100, 100], 150)).toBe(2);
    expect(pagesPerCellFor([1, 1, 1], 3)).toBe(1);
    expect(pagesPerCellFor(Array(1000).fill(16384))).toBe(256);
  });
});
