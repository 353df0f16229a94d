// Zig-zag variable-length integers, as protobuf and Kafka's ByteUtils write them.
//
// Format: the value is zig-zag mapped to an unsigned number, (v << 1) ^ (v >> 31)
// for a varint (int32) and (v << 1) ^ (v >> 63) for a varlong (int64), so small
// negative numbers stay short. The unsigned number is then written 7 bits at a
// time, least significant group first; the high bit of each byte says "more
// bytes follow". A varint takes at most 5 bytes, a varlong at most 10.
//
// Varlongs are JS numbers: exact while |v| < 2^52, which covers every timestamp
// delta and offset a broker sees (architecture.md: "safe to 2^53").

import { CopylessError } from '../errors.ts';

/** Most bytes a varint (int32) may take on the wire. */
export const VARINT_BYTES_MAX = 5;
/** Most bytes a varlong (int64) may take on the wire. */
export const VARLONG_BYTES_MAX = 10;

/** A read position inside `[pos, end)` of a buffer; readers advance `pos`. */
export interface Cursor {
  pos: number;
  end: number;
}

function corrupt(field: string, why: string): CopylessError {
  return new CopylessError('CORRUPT_MESSAGE', `${field}: ${why}`, { field });
}

export function sizeOfVarint(value: number): number {
  let z = ((value << 1) ^ (value >> 31)) >>> 0;
  let bytes = 1;
  while (z >= 0x80) {
    z >>>= 7;
    bytes++;
  }
  return bytes;
}

export function sizeOfVarlong(value: number): number {
  if ((value | 0) === value) return sizeOfVarint(value);
  let z = value >= 0 ? value * 2 : -value * 2 - 1;
  let bytes = 1;
  while (z >= 0x80) {
    z = Math.floor(z / 0x80);
    bytes++;
  }
  return bytes;
}

/** Writes `value` (an int32) at `pos` and returns the position after it. */
export function writeVarint(buf: Buffer, pos: number, value: number): number {
  let z = ((value << 1) ^ (value >> 31)) >>> 0;
  while (z >= 0x80) {
    buf[pos++] = (z & 0x7f) | 0x80;
    z >>>= 7;
  }
  buf[pos++] = z;
  return pos;
}

/** Writes `value` (a safe integer) as a varlong at `pos` and returns the position after it. */
export function writeVarlong(buf: Buffer, pos: number, value: number): number {
  // Inside int32 the zig-zag64 bytes equal the zig-zag32 bytes, and bit
  // operations are much cheaper than the float division below.
  if ((value | 0) === value) return writeVarint(buf, pos, value);
  let z = value >= 0 ? value * 2 : -value * 2 - 1;
  while (z >= 0x80) {
    buf[pos++] = (z % 0x80) | 0x80;
    z = Math.floor(z / 0x80);
  }
  buf[pos++] = z;
  return pos;
}

/** Reads a varint (int32) at `c.pos`, never past `c.end`; `field` names it in errors. */
export function readVarint(buf: Buffer, c: Cursor, field: string): number {
  let z = 0;
  for (let i = 0; i < VARINT_BYTES_MAX; i++) {
    if (c.pos >= c.end) throw corrupt(field, 'varint runs past the end of its record');
    const b = buf[c.pos++];
    z |= (b & 0x7f) << (7 * i);
    if (b < 0x80) {
      // The fifth byte may carry only the top 4 bits of 32.
      if (i === VARINT_BYTES_MAX - 1 && b > 0x0f) break;
      return (z >>> 1) ^ -(z & 1);
    }
  }
  throw corrupt(field, `varint is longer than ${VARINT_BYTES_MAX} bytes`);
}

/** Reads a varlong at `c.pos`, never past `c.end`; `field` names it in errors. */
export function readVarlong(buf: Buffer, c: Cursor, field: string): number {
  let z = 0;
  let scale = 1;
  for (let i = 0; i < VARLONG_BYTES_MAX; i++) {
    if (c.pos >= c.end) throw corrupt(field, 'varlong runs past the end of its record');
    const b = buf[c.pos++];
    z += (b & 0x7f) * scale;
    if (b < 0x80) return z % 2 === 0 ? z / 2 : -(z + 1) / 2;
    scale *= 0x80;
  }
  throw corrupt(field, `varlong is longer than ${VARLONG_BYTES_MAX} bytes`);
}
