// Big-endian writer that packs small fields into as few Buffers as possible
// and splices record bytes in between them.
//
// Layout of what `finish()` returns, for a response:
//   [region 0: int32 size | int32 correlationId | fields ... | int32 records length]
//   [records part] [records part] ...
//   [region 1: fields up to the next records length] [parts] ... [last region]
// Each region is one subarray of a growing scratch Buffer. When the scratch
// fills, only the current region moves to a bigger one; regions already cut
// stay where they are. In copy mode (requests) records are written inline and
// the result is one Buffer.

import { CopylessError } from '../errors.ts';
import type { Chunk, RecordsParts } from './chunk.ts';

/** The encoder's error: INVALID_REQUEST for a client building a request, UNKNOWN_SERVER_ERROR for the broker's own response. */
export type EncodeErrorName = 'INVALID_REQUEST' | 'UNKNOWN_SERVER_ERROR';

/** First scratch size: most responses (everything but Fetch records) fit. Buffer.allocUnsafe pools allocations under 4 KiB. */
const SCRATCH_BYTES_INITIAL = 512;
/**
 * A plain-Buffer `records` value at least this big is spliced in as its own
 * chunk rather than copied; below it, one more chunk costs more than the copy.
 */
export const RECORDS_INLINE_BYTES_MAX = 1024;
const INT16_MAX = 0x7fff;
const INT32_MAX = 0x7fffffff;
const TWO_POW_32 = 2 ** 32;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

export class ChunkWriter {
  private buf: Buffer;
  private pos = 0;
  private regionStart = 0;
  /** Bytes already emitted: regions cut and parts spliced. */
  private doneBytes = 0;
  private readonly chunks: Chunk[] = [];

  constructor(
    private readonly splice: boolean,
    readonly errorName: EncodeErrorName,
    initialBytes = SCRATCH_BYTES_INITIAL,
  ) {
    this.buf = Buffer.allocUnsafe(initialBytes);
  }

  get byteLength(): number {
    return this.doneBytes + this.pos - this.regionStart;
  }

  fail(field: string, why: string): never {
    throw new CopylessError(this.errorName, `cannot encode ${field}: ${why}`, { field });
  }

  private ensure(byteCount: number): void {
    if (this.buf.length - this.pos >= byteCount) return;
    const regionBytes = this.pos - this.regionStart;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, regionBytes + byteCount));
    this.buf.copy(next, 0, this.regionStart, this.pos);
    this.buf = next;
    this.regionStart = 0;
    this.pos = regionBytes;
  }

  int8(value: unknown, field: string): void {
    if (!Number.isInteger(value) || (value as number) < -128 || (value as number) > 127) this.fail(field, `${String(value)} is not an int8`);
    this.ensure(1);
    this.buf[this.pos++] = (value as number) & 0xff;
  }

  int16(value: unknown, field: string): void {
    if (!Number.isInteger(value) || (value as number) < -0x8000 || (value as number) > INT16_MAX) this.fail(field, `${String(value)} is not an int16`);
    this.ensure(2);
    this.buf.writeInt16BE(value as number, this.pos);
    this.pos += 2;
  }

  int32(value: unknown, field: string): void {
    if (typeof value !== 'number' || (value | 0) !== value) this.fail(field, `${String(value)} is not an int32`);
    this.ensure(4);
    this.buf.writeInt32BE(value, this.pos);
    this.pos += 4;
  }

  /** int64 from a JS number; values past ±2^53 (decoded from Long.MAX etc.) clamp to the int64 range. */
  int64(value: unknown, field: string): void {
    if (typeof value !== 'number' || !Number.isInteger(value)) this.fail(field, `${String(value)} is not an integer`);
    this.ensure(8);
    if (Number.isSafeInteger(value)) {
      const high = Math.floor(value / TWO_POW_32);
      this.buf.writeInt32BE(high, this.pos);
      this.buf.writeUInt32BE(value - high * TWO_POW_32, this.pos + 4);
    } else {
      const big = BigInt(value);
      this.buf.writeBigInt64BE(big < INT64_MIN ? INT64_MIN : big > INT64_MAX ? INT64_MAX : big, this.pos);
    }
    this.pos += 8;
  }

  bool(value: unknown, field: string): void {
    if (typeof value !== 'boolean') this.fail(field, `${String(value)} is not a boolean`);
    this.ensure(1);
    this.buf[this.pos++] = value ? 1 : 0;
  }

  /** int16 length + UTF-8, or -1 for null where the field is nullable. */
  string(value: unknown, field: string, nullable: boolean): void {
    if (value === null && nullable) return this.int16(-1, field);
    if (typeof value !== 'string') this.fail(field, `${String(value)} is not a string`);
    this.ensure(2 + value.length * 3);
    const written = this.buf.write(value, this.pos + 2, 'utf8');
    if (written > INT16_MAX) this.fail(field, `${written} UTF-8 bytes, over the int16 string limit ${INT16_MAX}`);
    this.buf.writeInt16BE(written, this.pos);
    this.pos += 2 + written;
  }

  /** int32 length + UTF-8. */
  longString(value: unknown, field: string): void {
    if (typeof value !== 'string') this.fail(field, `${String(value)} is not a string`);
    this.ensure(4 + value.length * 3);
    const written = this.buf.write(value, this.pos + 4, 'utf8');
    this.buf.writeInt32BE(written, this.pos);
    this.pos += 4 + written;
  }

  /** int32 length + bytes (copied), or -1 for null where nullable. */
  bytes(value: unknown, field: string, nullable: boolean): void {
    if (value === null && nullable) return this.int32(-1, field);
    if (!(value instanceof Uint8Array)) this.fail(field, 'is not a Buffer');
    this.int32(value.byteLength, field);
    this.raw(value);
  }

  /** Nullable `records`: a Buffer, null, or RecordsParts whose parts are spliced in (copied in copy mode). */
  records(value: unknown, field: string): void {
    if (value === null || value instanceof Uint8Array) {
      if (this.splice && value !== null && value.byteLength >= RECORDS_INLINE_BYTES_MAX) {
        this.int32(value.byteLength, field);
        const buffer = Buffer.isBuffer(value) ? value : Buffer.from(value.buffer, value.byteOffset, value.byteLength);
        return this.spliceParts([buffer]);
      }
      return this.bytes(value, field, true);
    }
    const parts = value as RecordsParts;
    if (typeof value !== 'object' || !Array.isArray(parts.parts)) this.fail(field, 'is not a Buffer, null or RecordsParts');
    let total = 0;
    for (const part of parts.parts) {
      if (!Number.isInteger(part?.byteLength) || part.byteLength < 0) this.fail(field, 'a part is not a Buffer or ExternalChunk');
      total += part.byteLength;
    }
    if (total !== parts.byteLength) this.fail(field, `byteLength ${parts.byteLength} but its parts hold ${total} bytes`);
    if (total > INT32_MAX) this.fail(field, `${total} bytes, over int32`);
    this.int32(total, field);
    if (this.splice) return this.spliceParts(parts.parts);
    for (const part of parts.parts) {
      if (!(part instanceof Uint8Array)) this.fail(field, 'an ExternalChunk cannot be copied into a request');
      this.raw(part);
    }
  }

  private raw(bytes: Uint8Array): void {
    this.ensure(bytes.byteLength);
    this.buf.set(bytes, this.pos);
    this.pos += bytes.byteLength;
  }

  /** Cut the current region and emit the parts after it unchanged. */
  private spliceParts(parts: readonly Chunk[]): void {
    this.cutRegion();
    for (const part of parts) {
      this.chunks.push(part);
      this.doneBytes += part.byteLength;
    }
  }

  private cutRegion(): void {
    if (this.pos === this.regionStart) return;
    this.chunks.push(this.buf.subarray(this.regionStart, this.pos));
    this.doneBytes += this.pos - this.regionStart;
    this.regionStart = this.pos;
  }

  /** Reserve 4 bytes for the frame size; call first. */
  reserveSize(): void {
    this.ensure(4);
    this.pos += 4;
  }

  /** All chunks, with the size reserved by `reserveSize` filled in (frame bytes after the size field). */
  finishChunks(): Chunk[] {
    this.cutRegion();
    const first = this.chunks[0] as Buffer;
    const frameBytes = this.doneBytes - 4;
    if (frameBytes > INT32_MAX) this.fail('frame', `${frameBytes} bytes, over int32`);
    first.writeInt32BE(frameBytes, 0);
    return this.chunks;
  }

  /** The whole frame as one Buffer (copy mode only). */
  finishBuffer(): Buffer {
    const chunks = this.finishChunks();
    return chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks as Buffer[]);
  }
}
