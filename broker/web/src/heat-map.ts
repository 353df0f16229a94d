// The page-cache heat map on a canvas: files grouped by partition (one block
// each, labelled), each file's cells flowing left to right, one empty cell
// between files. `heatGeometry` is pure (layout + width -> positions) and
// also answers "which file and page is under this point"; `paintHeatMap`
// draws cells from the page map's bytes.

import { CellState, cellFill, cellState, type PageMapLayout, type ReadAheadWindow } from '../../dashboard/messages.ts';

export const STATE_COLORS: Record<number, string> = {
  [CellState.NONE]: '#cdd4dd',
  [CellState.INACTIVE]: '#8ecae6',
  [CellState.ACTIVE]: '#1f7a5a',
  [CellState.DIRTY]: '#e4572e',
  [CellState.WRITEBACK]: '#f2b134',
  [CellState.PINNED]: '#7b3fb0',
};
export const BEYOND_EOF_COLOR = '#f1f3f6';
export const READ_AHEAD_COLOR = '#1d4ed8';
export const STATE_NAMES: Array<[number, string]> = [
  [CellState.ACTIVE, 'active'],
  [CellState.INACTIVE, 'inactive'],
  [CellState.DIRTY, 'dirty'],
  [CellState.WRITEBACK, 'under write-back'],
  [CellState.PINNED, 'pinned'],
  [CellState.NONE, 'not cached'],
];

/** Opacity by fill level (how many of a cell's pages are resident). */
const FILL_ALPHA = [1, 0.45, 0.75, 1];

const LABEL_PX = 150;
const LABEL_ROW_PX = 16;
const BLOCK_GAP_PX = 3;
/** Label every partition while the blocks stay under this height; past it, blocks are packed and labels thinned. */
const LABELLED_HEIGHT_MAX_PX = 900;

export interface HeatBlock {
  topic: string;
  partition: number;
  y0: number;
  height: number;
  /** Files [firstFile, endFile) of the layout, each starting at linear position pos0[file] of the block. */
  firstFile: number;
  endFile: number;
}

export interface HeatGeometry {
  cellPx: number;
  stridePx: number;
  cols: number;
  labelPx: number;
  width: number;
  height: number;
  blocks: HeatBlock[];
  /** Per file: its first cell's linear position in its block, and its first cell's index in the map. */
  pos0: Int32Array;
  firstCell: Int32Array;
}

/** Cell size for a map of `cells` cells: big while few, down to 3 px for a full 65,536-cell map. */
export function cellPxFor(cells: number): number {
  if (cells <= 1500) return 12;
  if (cells <= 6000) return 8;
  if (cells <= 20000) return 5;
  return 3;
}

export function heatGeometry(layout: PageMapLayout, width: number): HeatGeometry {
  const total = layout.files.reduce((n, f) => n + f.cells, 0);
  const cellPx = cellPxFor(total);
  const stridePx = cellPx + (cellPx >= 5 ? 1 : 0);
  const cols = Math.max(8, Math.floor((width - LABEL_PX) / stridePx));
  const pos0 = new Int32Array(layout.files.length);
  const firstCell = new Int32Array(layout.files.length);
  const blocks: HeatBlock[] = [];
  let cell = 0;
  let linear = 0;
  layout.files.forEach((f, i) => {
    const b = blocks[blocks.length - 1];
    if (!b || b.topic !== f.topic || b.partition !== f.partition) {
      blocks.push({ topic: f.topic, partition: f.partition, y0: 0, height: 0, firstFile: i, endFile: i + 1 });
      linear = 0;
    } else {
      b.endFile = i + 1;
      if (linear % cols !== 0) linear++; // one empty cell between two files of a partition
    }
    pos0[i] = linear;
    firstCell[i] = cell;
    linear += f.cells;
    cell += f.cells;
  });
  const labelled = blocks.length * (LABEL_ROW_PX + BLOCK_GAP_PX) <= LABELLED_HEIGHT_MAX_PX;
  let y = 0;
  for (const b of blocks) {
    const last = b.endFile - 1;
    const rows = Math.ceil((pos0[last] + layout.files[last].cells) / cols);
    b.y0 = y;
    b.height = Math.max(rows * stridePx, labelled ? LABEL_ROW_PX : 0);
    y += b.height + BLOCK_GAP_PX;
  }
  return { cellPx, stridePx, cols, labelPx: LABEL_PX, width, height: Math.max(y, 20), blocks, pos0, firstCell };
}

/** The file and cell under a point of the canvas, or null. */
export function hitTest(g: HeatGeometry, layout: PageMapLayout, x: number, y: number): { file: number; cell: number } | null {
  if (x < g.labelPx) return null;
  let lo = 0;
  let hi = g.blocks.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (g.blocks[mid].y0 <= y) lo = mid;
    else hi = mid - 1;
  }
  const b = g.blocks[lo];
  if (!b || y < b.y0 || y >= b.y0 + b.height) return null;
  const col = Math.floor((x - g.labelPx) / g.stridePx);
  const row = Math.floor((y - b.y0) / g.stridePx);
  if (col >= g.cols) return null;
  const linear = row * g.cols + col;
  for (let f = b.firstFile; f < b.endFile; f++) {
    const k = linear - g.pos0[f];
    if (k >= 0 && k < layout.files[f].cells) return { file: f, cell: k };
  }
  return null;
}

function colorOf(b: number): string {
  const s = cellState(b);
  if (s === CellState.BEYOND_EOF) return BEYOND_EOF_COLOR;
  const base = STATE_COLORS[s] ?? STATE_COLORS[CellState.NONE];
  const alpha = s === CellState.NONE ? 1 : FILL_ALPHA[cellFill(b)];
  return alpha === 1 ? base : `${base}${Math.round(alpha * 255).toString(16).padStart(2, '0')}`;
}

export function paintHeatMap(
  ctx: CanvasRenderingContext2D,
  g: HeatGeometry,
  layout: PageMapLayout,
  cells: Uint8Array,
  readAhead: ReadAheadWindow[],
  selected: { topic: string; partition: number; baseOffset: number } | null,
): void {
  ctx.font = '11px system-ui, sans-serif';
  ctx.textBaseline = 'top';
  let lastLabelY = -Infinity;
  for (const b of g.blocks) {
    if (b.y0 - lastLabelY >= LABEL_ROW_PX - 2) {
      ctx.fillStyle = '#374151';
      ctx.fillText(`${b.topic}-${b.partition}`.slice(0, 22), 0, b.y0 + 1, g.labelPx - 8);
      lastLabelY = b.y0;
    }
    for (let f = b.firstFile; f < b.endFile; f++) paintFile(ctx, g, b, f, layout, cells);
  }
  const blockOf = new Map<number, HeatBlock>();
  for (const b of g.blocks) for (let f = b.firstFile; f < b.endFile; f++) blockOf.set(f, b);
  for (const [f, startPage, pages] of readAhead) {
    const b = blockOf.get(f);
    if (!b) continue;
    const from = Math.floor(startPage / layout.pagesPerCell);
    const to = Math.min(layout.files[f].cells, Math.ceil((startPage + pages) / layout.pagesPerCell));
    outlineCells(ctx, g, b, f, from, to, READ_AHEAD_COLOR);
  }
  for (const b of g.blocks) {
    for (let f = b.firstFile; f < b.endFile; f++) {
      const file = layout.files[f];
      if (selected && file.topic === selected.topic && file.partition === selected.partition && file.baseOffset === selected.baseOffset) {
        const [, y] = cellXY(g, b, g.pos0[f]);
        ctx.fillStyle = '#111827';
        ctx.beginPath();
        ctx.moveTo(g.labelPx - 9, y);
        ctx.lineTo(g.labelPx - 3, y + Math.max(3, g.cellPx / 2));
        ctx.lineTo(g.labelPx - 9, y + Math.max(6, g.cellPx));
        ctx.fill();
      }
    }
  }
}

function cellXY(g: HeatGeometry, b: HeatBlock, linear: number): [number, number] {
  return [g.labelPx + (linear % g.cols) * g.stridePx, b.y0 + Math.floor(linear / g.cols) * g.stridePx];
}

function paintFile(ctx: CanvasRenderingContext2D, g: HeatGeometry, b: HeatBlock, f: number, layout: PageMapLayout, cells: Uint8Array): void {
  const n = layout.files[f].cells;
  const first = g.firstCell[f];
  let style = '';
  for (let k = 0; k < n; k++) {
    const c = colorOf(cells[first + k] ?? 0);
    if (c !== style) ctx.fillStyle = style = c;
    const [x, y] = cellXY(g, b, g.pos0[f] + k);
    ctx.fillRect(x, y, g.cellPx, g.cellPx);
  }
}

function outlineCells(ctx: CanvasRenderingContext2D, g: HeatGeometry, b: HeatBlock, f: number, from: number, to: number, color: string): void {
  ctx.strokeStyle = color;
  ctx.lineWidth = 1;
  for (let k = Math.max(0, from); k < to; k++) {
    const [x, y] = cellXY(g, b, g.pos0[f] + k);
    ctx.strokeRect(x + 0.5, y + 0.5, g.cellPx - 1, g.cellPx - 1);
  }
}

/** Count cells by state (for the legend): exact per page when pagesPerCell is 1. */
export function countCells(cells: Uint8Array): Record<number, number> {
  const out: Record<number, number> = {};
  for (let i = 0; i < cells.length; i++) {
    const s = cellState(cells[i]);
    out[s] = (out[s] ?? 0) + 1;
  }
  return out;
}
