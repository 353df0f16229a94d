// The stats channel of the WebSocket API as the broker sends it and the web
// page (broker/web) reads it: the message types, defined once here and
// imported by both, and the page map's binary frame codec. No Node API is
// used here, so the page's bundle takes this file as it is.
//
// A subscriber asks for the parts it wants:
//   {"op":"subscribe","channel":"stats","intervalMs":500,"include":["activity","pageMap"],"connection":3}
// and gets every intervalMs one text message (StatsMessage). With "pageMap" in
// `include`, that text message carries a PageMapHeader and is followed by one
// binary message of exactly `pageMap.bytes` bytes: a page map frame.
//
// Page map frame (little-endian), one byte per cell after decoding:
//   [0, 1)   version        u8 = PAGE_MAP_FRAME_VERSION
//   [1, 2)   flags          u8, bit 0 = keyframe
//   [2, 4)   reserved       u16 = 0
//   [4, 8)   seq            u32, counts the frames sent to this subscriber
//   [8, 12)  cells          u32, cells in the map after decoding
//   [12, ..) runs           (value u8, run length as an unsigned LEB128 varint) pairs covering `cells` cells
// A keyframe's runs spell the cells themselves; a delta frame's spell each cell
// XOR the same cell of the previous frame, so an unchanged map is one run of
// zeros. A delta follows only a frame of the same layout that the subscriber
// received; after a skipped push (back-pressure) or a layout change the next
// frame is a keyframe.
//
// Cell byte: bits 0-2 the cell's state (CellState: the most notable state of
// its pages, PINNED highest), bits 3-4 its fill (0 none of its pages resident,
// 1 some, 2 at least half, 3 all).

import { CopylessError } from '../../src/errors.ts';
import type { FetchAccounting, ModeStats } from '../../src/fetch/accounting.ts';
import type { FetchMode } from '../../src/fetch/fetch-mode.ts';
import type { CachePolicy, PageCacheStats } from '../../src/storage/page-cache.ts';
import type { RawSendCounts } from '../native/addon.ts';

export const STATS_INCLUDES = ['activity', 'pageMap'] as const;
export type StatsInclude = (typeof STATS_INCLUDES)[number];

/** Real system calls the native addon made for one fetch (native modes only): its send counts without the bytes. */
export type NativeCalls = Omit<RawSendCounts, 'bytes'>;

/** The last fetch of a mode or a connection, with its own accounting: what the fetch-path view draws. */
export interface FetchTrace {
  mode: FetchMode;
  /** ms since the epoch, when the fetch's accounting was completed. */
  at: number;
  /** The Kafka connection that fetched, null for HTTP and WebSocket fetches. */
  connection: number | null;
  /** Whether sendfile was modelled with a scatter/gather DMA NIC. */
  sgDma: boolean;
  /** Partitions that returned records: where the slice starts and its bytes. */
  partitions: Array<{ topic: string; partition: number; firstOffset: number; bytes: number }>;
  accounting: FetchAccounting;
  /** Native modes: the addon's real calls; null for modelled modes. */
  native: NativeCalls | null;
}

export interface ConnectionActivity {
  id: number;
  remote: string;
  clientId: string | null;
  fetchMode: FetchMode;
  sgDma: boolean;
  connectedAt: number;
  fetches: number;
  lastFetchAt: number | null;
}

/** Cumulative counters of one topic: the page turns two snapshots into rates. */
export interface TopicActivity {
  name: string;
  partitions: Array<{ partition: number; logStartOffset: number; logEndOffset: number; sizeBytes: number }>;
  producedRecords: number;
  producedBytes: number;
  fetchedRecords: number;
  fetchedBytes: number;
  /** The part of fetchedRecords estimated from bytes (native modes send file ranges the broker never reads). */
  fetchedRecordsEstimated: number;
}

/** The simulated page cache's fixed parameters, shown beside the heat map. */
export interface CacheParameters {
  policy: CachePolicy;
  pageBytes: number;
  capacityPages: number;
  readAheadMaxPages: number;
  dirtyBackgroundPages: number;
  dirtyLimitPages: number;
  dirtyExpireMs: number;
  dirtyWritebackMs: number;
}

export interface ActivitySnapshot {
  defaultFetchMode: FetchMode;
  sgDma: boolean;
  availableFetchModes: FetchMode[];
  cache: CacheParameters;
  topics: TopicActivity[];
  /** Cumulative records fetched per mode (native modes: estimated from bytes). */
  modeRecords: Record<string, number>;
  connections: { kafka: ConnectionActivity[]; kafkaTotal: number; webSockets: number };
  /** The last fetch with records in each mode. */
  lastFetch: Partial<Record<FetchMode, FetchTrace>>;
  /** The last fetch of the connection the subscriber named (`connection`), null when none. */
  connectionFetch: FetchTrace | null;
}

/** One file (segment) of the page map: its cells are `cells` consecutive cells of the map, in layout order. */
export interface PageMapFile {
  topic: string;
  partition: number;
  baseOffset: number;
  /** Pages of the file when the layout was made (an active segment's grow: see PageMapHeader.activePages); cells past them are BEYOND_EOF. */
  pages: number;
  cells: number;
  active: boolean;
}

/** [file index in the layout, first page, pages, async pages]: an open read-ahead window, the PG_readahead marker at first + pages - async. */
export type ReadAheadWindow = [number, number, number, number];

export interface PageMapLayout {
  /** Changes whenever the files, their cell counts or pagesPerCell change. */
  version: number;
  pagesPerCell: number;
  files: PageMapFile[];
}

export interface PageMapHeader {
  seq: number;
  keyframe: boolean;
  /** Sent with every keyframe, else only when it changed; the page keeps the last one. */
  layout?: PageMapLayout;
  layoutVersion: number;
  /** Every push: [file index, pages] of the active segments, which grow between layouts. */
  activePages: Array<[number, number]>;
  /** Every push: the open read-ahead windows. */
  readAhead: ReadAheadWindow[];
  /** Length of the binary message that follows. */
  bytes: number;
}

export interface StatsMessage {
  op: 'stats';
  timestamp: number;
  modes: Record<string, ModeStats>;
  pageCache: PageCacheStats;
  activity?: ActivitySnapshot;
  pageMap?: PageMapHeader;
}

/** Cell states, ordered: a cell shows the highest state among its pages. */
export const CellState = {
  /** No page of the cell is in the cache. */
  NONE: 0,
  INACTIVE: 1,
  ACTIVE: 2,
  DIRTY: 3,
  /** Dirty and covered by an fdatasync in flight. */
  WRITEBACK: 4,
  /** Referenced by a send in flight: cannot be evicted. */
  PINNED: 5,
  /** Room an active segment may grow into: no page of the file there yet. */
  BEYOND_EOF: 7,
} as const;
export type CellStateCode = (typeof CellState)[keyof typeof CellState];

/** One letter per CellState 0..5, for a page listing a person can read (GET .../segments/:baseOffset/pages). */
export const PAGE_STATE_LETTERS = '.iadwp';

export const CELL_STATE_MASK = 0x07;
export const CELL_FILL_SHIFT = 3;
export const CELL_FILL_MAX = 3;

export function cellByte(state: number, fill: number): number {
  return (state & CELL_STATE_MASK) | (fill << CELL_FILL_SHIFT);
}

export function cellState(b: number): number {
  return b & CELL_STATE_MASK;
}

export function cellFill(b: number): number {
  return (b >> CELL_FILL_SHIFT) & CELL_FILL_MAX;
}

/** Fill level of a cell with `resident` of its `pages` pages in the cache. */
export function fillOf(resident: number, pages: number): number {
  if (resident <= 0) return 0;
  if (resident >= pages) return 3;
  return 2 * resident >= pages ? 2 : 1;
}

export const PAGE_MAP_FRAME_VERSION = 1;
const VERSION_OFFSET = 0;
const FLAGS_OFFSET = VERSION_OFFSET + 1;
const RESERVED_OFFSET = FLAGS_OFFSET + 1;
const SEQ_OFFSET = RESERVED_OFFSET + 2;
const CELLS_OFFSET = SEQ_OFFSET + 4;
export const PAGE_MAP_HEADER_BYTES = CELLS_OFFSET + 4;
const FLAG_KEYFRAME = 1;

/**
 * Encode `cells` as a frame: a delta against `previous` when given (same
 * length), else a keyframe. At most PAGE_MAP_HEADER_BYTES + 2 x cells bytes:
 * a run of n cells costs 1 + varint(n) <= 2n bytes.
 */
export function encodePageMapFrame(cells: Uint8Array, previous: Uint8Array | null, seq: number): Uint8Array {
  const delta = previous !== null && previous.length === cells.length;
  const out = new Uint8Array(PAGE_MAP_HEADER_BYTES + 2 * cells.length);
  const view = new DataView(out.buffer);
  view.setUint8(VERSION_OFFSET, PAGE_MAP_FRAME_VERSION);
  view.setUint8(FLAGS_OFFSET, delta ? 0 : FLAG_KEYFRAME);
  view.setUint16(RESERVED_OFFSET, 0, true);
  view.setUint32(SEQ_OFFSET, seq >>> 0, true);
  view.setUint32(CELLS_OFFSET, cells.length, true);
  // A delta is the RLE of cells XOR previous: unchanged cells become one long run of zeros.
  let values = cells;
  if (delta) {
    values = new Uint8Array(cells.length);
    for (let c = 0; c < cells.length; c++) values[c] = cells[c] ^ previous![c];
  }
  let at = PAGE_MAP_HEADER_BYTES;
  let i = 0;
  while (i < values.length) {
    const value = values[i];
    let run = 1;
    while (i + run < values.length && values[i + run] === value) run++;
    out[at++] = value;
    for (let n = run; ; ) {
      if (n < 0x80) {
        out[at++] = n;
        break;
      }
      out[at++] = (n & 0x7f) | 0x80;
      n = Math.floor(n / 0x80);
    }
    i += run;
  }
  return out.subarray(0, at);
}

export interface DecodedPageMapFrame {
  seq: number;
  keyframe: boolean;
  cells: Uint8Array;
}

function corrupt(message: string): CopylessError {
  return new CopylessError('CORRUPT_MESSAGE', `page map frame: ${message}`, { field: 'pageMap' });
}

/** Decode a frame; a delta needs the cells of the frame before it. Throws CORRUPT_MESSAGE naming what is wrong. */
export function decodePageMapFrame(frame: Uint8Array, previous: Uint8Array | null): DecodedPageMapFrame {
  if (frame.length < PAGE_MAP_HEADER_BYTES) throw corrupt(`${frame.length} bytes, shorter than its ${PAGE_MAP_HEADER_BYTES}-byte header`);
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  const version = view.getUint8(VERSION_OFFSET);
  if (version !== PAGE_MAP_FRAME_VERSION) throw corrupt(`version ${version}, this reader knows ${PAGE_MAP_FRAME_VERSION}`);
  const keyframe = (view.getUint8(FLAGS_OFFSET) & FLAG_KEYFRAME) !== 0;
  const seq = view.getUint32(SEQ_OFFSET, true);
  const count = view.getUint32(CELLS_OFFSET, true);
  if (!keyframe && (previous === null || previous.length !== count)) {
    throw corrupt(`delta frame ${seq} of ${count} cells without a previous frame of that size`);
  }
  const cells = new Uint8Array(count);
  let at = PAGE_MAP_HEADER_BYTES;
  let i = 0;
  while (i < count) {
    if (at >= frame.length) throw corrupt(`runs end at cell ${i} of ${count}`);
    const value = frame[at++];
    let run = 0;
    for (let scale = 1; ; scale *= 0x80) {
      if (at >= frame.length) throw corrupt(`run length cut off at byte ${at}`);
      const b = frame[at++];
      run += (b & 0x7f) * scale;
      if (b < 0x80) break;
      if (scale > 2 ** 28) throw corrupt(`run length varint longer than 5 bytes at byte ${at}`);
    }
    if (run === 0 || i + run > count) throw corrupt(`run of ${run} cells at cell ${i} of ${count}`);
    cells.fill(value, i, i + run);
    i += run;
  }
  if (at !== frame.length) throw corrupt(`${frame.length - at} bytes after the last run`);
  if (!keyframe) for (let c = 0; c < count; c++) cells[c] ^= previous![c];
  return { seq, keyframe, cells };
}
