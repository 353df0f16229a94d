// Bounds-checked big-endian reader over one frame. Every read checks the bytes
// left first, so a truncated or malformed frame raises a CopylessError naming
// the field (never a RangeError from Buffer). Byte fields are returned as
// subarrays of the frame: no copy.

import { CopylessError } from '../errors.ts';

/** INVALID_REQUEST when the broker reads a request, CORRUPT_MESSAGE when a client reads a response. */
export type DecodeErrorName = 'INVALID_REQUEST' | 'CORRUPT_MESSAGE';

const TWO_POW_32 = 2 ** 32;

export class ByteReader {
  pos: number;

  constructor(
    readonly buf: Buffer,
    offset: number,
    readonly errorName: DecodeErrorName,
  ) {
    this.pos = offset;
  }

  get remaining(): number {
    return this.buf.length - this.pos;
  }

  fail(field: string, why: string): never {
    throw new CopylessError(this.errorName, `malformed ${field}: ${why}`, { field });
  }

  private need(byteCount: number, field: string): void {
    if (this.buf.length - this.pos < byteCount) {
      this.fail(field, `needs ${byteCount} bytes at offset ${this.pos}, ${this.remaining} left`);
    }
  }

  int8(field: string): number {
    this.need(1, field);
    return this.buf.readInt8(this.pos++);
  }

  int16(field: string): number {
    this.need(2, field);
    const value = this.buf.readInt16BE(this.pos);
    this.pos += 2;
    return value;
  }

  int32(field: string): number {
    this.need(4, field);
    const value = this.buf.readInt32BE(this.pos);
    this.pos += 4;
    return value;
  }

  /** int64 as a JS number: exact within ±2^53, rounded beyond (architecture.md: offsets are numbers). */
  int64(field: string): number {
    this.need(8, field);
    const high = this.buf.readInt32BE(this.pos);
    const low = this.buf.readUInt32BE(this.pos + 4);
    this.pos += 8;
    return high * TWO_POW_32 + low;
  }

  bool(field: string): boolean {
    return this.int8(field) !== 0;
  }

  /** int16 length + UTF-8; length -1 is null, allowed only where the field is nullable. */
  string(field: string, nullable: boolean): string | null {
    const length = this.int16(field);
    if (length < 0) return this.nullOrFail(length, field, nullable);
    this.need(length, field);
    const start = this.pos;
    this.pos += length;
    return this.buf.toString('utf8', start, this.pos);
  }

  /** int32 length + UTF-8 (copyless's JSON payloads may pass 32 KiB). */
  longString(field: string): string {
    const bytes = this.bytes(field, false)!;
    return bytes.toString('utf8');
  }

  /** int32 length + raw bytes as a subarray of the frame; length -1 is null where nullable. */
  bytes(field: string, nullable: boolean): Buffer | null {
    const length = this.int32(field);
    if (length < 0) return this.nullOrFail(length, field, nullable);
    this.need(length, field);
    const start = this.pos;
    this.pos += length;
    return this.buf.subarray(start, this.pos);
  }

  /**
   * int32 element count; -1 is null where nullable. A count whose elements
   * could not fit in the bytes left is malformed, which bounds the work any
   * frame can cause.
   */
  arrayCount(field: string, nullable: boolean, elementBytesMin: number): number {
    const count = this.int32(field);
    if (count < 0) return count === -1 && nullable ? -1 : this.fail(field, `array length ${count}`);
    if (count * elementBytesMin > this.remaining) {
      this.fail(field, `array of ${count} elements cannot fit in the ${this.remaining} bytes left`);
    }
    return count;
  }

  private nullOrFail(length: number, field: string, nullable: boolean): null {
    if (length === -1 && nullable) return null;
    return this.fail(field, length === -1 ? 'null in a non-nullable field' : `length ${length}`);
  }
}
