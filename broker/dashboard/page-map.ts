// The page map: the simulated page cache drawn by file, one cell per page of
// every segment (or per 2, 4, 8 ... pages when they would be more than
// PAGE_MAP_CELLS_MAX cells). Files are in (topic, partition, base offset)
// order; each gets consecutive cells, an active segment a few more than it has
// pages (rounded up to a power of two) so that appends rarely change the
// layout. Cell bytes are described in messages.ts.
//
// Cost: one pass over the cache's frames (PageCache.snapshotFrames: O(frames),
// 65,536 for 256 MiB), one over the cells and one over the segment list,
// whatever the segments' sizes; no per-page object is made.

import { PAGE_BYTES, PAGE_MAP_ACTIVE_SEGMENT_PAGES_MIN, PAGE_MAP_CELLS_MAX } from '../../src/limits.ts';
import { PageState, type FrameSnapshot, type PageCache } from '../../src/storage/page-cache.ts';
import type { PartitionLog } from '../../src/storage/log.ts';
import { CellState, cellByte, fillOf, type PageMapFile, type PageMapLayout, type ReadAheadWindow } from './messages.ts';

export interface PageMap {
  layout: PageMapLayout;
  cells: Uint8Array;
  /** [file index, pages] of every active segment now. */
  activePages: Array<[number, number]>;
  readAhead: ReadAheadWindow[];
}

/** One segment as the builder sees it. */
interface FileSlot {
  fileId: number;
  file: PageMapFile;
  firstCell: number;
  /** Pages below this are covered by an fdatasync in flight: their dirty pages are under write-back. */
  writeBackPages: number;
  readAhead: { startPage: number; pages: number; asyncPages: number } | null;
}

function nextPowerOfTwo(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

export class PageMapBuilder {
  private layout: PageMapLayout | null = null;
  private frames: FrameSnapshot | undefined;
  private version = 0;

  constructor(
    private readonly pageCache: PageCache,
    private readonly logs: () => PartitionLog[],
    /** Tests lower it to see several pages per cell without filling 256 MiB. */
    private readonly cellsMax = PAGE_MAP_CELLS_MAX,
  ) {}

  build(): PageMap {
    const frames = (this.frames = this.pageCache.snapshotFrames(this.frames));
    const slots = this.slots(frames);
    const pagesPerCell = pagesPerCellFor(slots.map((s) => allocatedPages(s.file)), this.cellsMax);
    let next = 0;
    for (const s of slots) {
      s.file.cells = Math.ceil(allocatedPages(s.file) / pagesPerCell);
      s.firstCell = next;
      next += s.file.cells;
    }
    const layout = this.layoutFor(slots, pagesPerCell);
    const activePages: Array<[number, number]> = [];
    const readAhead: ReadAheadWindow[] = [];
    slots.forEach((s, i) => {
      if (s.file.active) activePages.push([i, s.file.pages]);
      if (s.readAhead) readAhead.push([i, s.readAhead.startPage, s.readAhead.pages, s.readAhead.asyncPages]);
    });
    return { layout, cells: fillCells(slots, frames, pagesPerCell, next), activePages, readAhead };
  }

  private slots(frames: FrameSnapshot): FileSlot[] {
    const windows = new Map(frames.readAhead.map((w) => [w.fileId, w]));
    const logs = this.logs().sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition));
    const slots: FileSlot[] = [];
    for (const log of logs) {
      let segments;
      try {
        segments = log.segments();
      } catch {
        continue; // deleted or closed meanwhile
      }
      for (const s of segments) {
        const w = windows.get(s.fileId);
        slots.push({
          fileId: s.fileId,
          firstCell: 0,
          writeBackPages: Math.ceil(s.writeBackBytes / PAGE_BYTES),
          readAhead: w ? { startPage: w.startPage, pages: w.pages, asyncPages: w.asyncPages } : null,
          file: {
            topic: log.topic,
            partition: log.partition,
            baseOffset: s.baseOffset,
            pages: Math.ceil(s.sizeBytes / PAGE_BYTES),
            cells: 0,
            active: s.active,
          },
        });
      }
    }
    return slots;
  }

  /** The previous layout's version when nothing but the files' pages changed (active segments growing inside their cells). */
  private layoutFor(slots: FileSlot[], pagesPerCell: number): PageMapLayout {
    const prev = this.layout;
    const same =
      prev !== null &&
      prev.pagesPerCell === pagesPerCell &&
      prev.files.length === slots.length &&
      slots.every((s, i) => {
        const f = prev.files[i];
        return f.cells === s.file.cells && f.baseOffset === s.file.baseOffset && f.partition === s.file.partition && f.topic === s.file.topic && f.active === s.file.active;
      });
    this.layout = { version: same ? prev.version : ++this.version, pagesPerCell, files: slots.map((s) => s.file) };
    return this.layout;
  }
}

/** Pages a file's cells stand for: its pages, or room to grow for an active segment; at least one. */
function allocatedPages(f: PageMapFile): number {
  if (!f.active) return Math.max(1, f.pages);
  return nextPowerOfTwo(Math.max(f.pages, PAGE_MAP_ACTIVE_SEGMENT_PAGES_MIN));
}

/** The smallest power of two that keeps the map within `cellsMax` cells (a file takes one cell at least). */
export function pagesPerCellFor(filePages: number[], cellsMax = PAGE_MAP_CELLS_MAX): number {
  for (let ppc = 1; ; ppc *= 2) {
    let cells = 0;
    for (const p of filePages) cells += Math.ceil(p / ppc);
    if (cells <= cellsMax || ppc >= 2 ** 30) return ppc;
  }
}

/** CellState of one page from its PageState bits: the most notable of its states (NONE when not resident). */
export function pageStateCode(bits: number, page: number, writeBackPages: number): number {
  if (!(bits & PageState.RESIDENT)) return CellState.NONE;
  if (bits & PageState.PINNED) return CellState.PINNED;
  if (bits & PageState.DIRTY) return page < writeBackPages ? CellState.WRITEBACK : CellState.DIRTY;
  return bits & PageState.ACTIVE ? CellState.ACTIVE : CellState.INACTIVE;
}

function fillCells(slots: FileSlot[], frames: FrameSnapshot, pagesPerCell: number, cellCount: number): Uint8Array {
  const codes = new Uint8Array(cellCount);
  const resident = pagesPerCell > 1 ? new Uint32Array(cellCount) : null;
  let maxId = 0;
  for (const s of slots) if (s.fileId > maxId) maxId = s.fileId;
  const slotOf = new Int32Array(maxId + 1).fill(-1);
  slots.forEach((s, i) => (slotOf[s.fileId] = i));
  const shift = Math.log2(pagesPerCell);
  const { fileIds, pageIndexes, states } = frames;
  for (let f = 0; f < frames.frames; f++) {
    const id = fileIds[f];
    if (id < 0 || id > maxId) continue;
    const slot = slotOf[id];
    if (slot < 0) continue;
    const s = slots[slot];
    const page = pageIndexes[f];
    const local = page >>> shift;
    if (local >= s.file.cells) continue;
    const cell = s.firstCell + local;
    const code = pageStateCode(states[f], page, s.writeBackPages);
    if (code > codes[cell]) codes[cell] = code;
    if (resident) resident[cell]++;
  }
  const cells = new Uint8Array(cellCount);
  for (const s of slots) {
    for (let c = 0; c < s.file.cells; c++) {
      const cell = s.firstCell + c;
      const firstPage = c * pagesPerCell;
      if (firstPage >= s.file.pages && codes[cell] === CellState.NONE) {
        cells[cell] = cellByte(CellState.BEYOND_EOF, 0);
        continue;
      }
      const pages = Math.min(pagesPerCell, Math.max(1, s.file.pages - firstPage));
      const n = resident ? resident[cell] : codes[cell] === CellState.NONE ? 0 : 1;
      cells[cell] = cellByte(codes[cell], fillOf(n, pages));
    }
  }
  return cells;
}
