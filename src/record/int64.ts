// Big-endian int64 fields as JS numbers. Offsets, timestamps and producer ids
// are int64 on the wire and numbers in copyless (architecture.md: exact below
// 2^53). Two 32-bit reads avoid allocating a BigInt per field on hot paths.

const TWO_POW_32 = 2 ** 32;

/** Reads a big-endian int64 as a number (exact below 2^53 in magnitude). */
export function readInt64(buf: Buffer, pos: number): number {
  return buf.readInt32BE(pos) * TWO_POW_32 + buf.readUInt32BE(pos + 4);
}

/** Writes a safe integer as a big-endian int64. */
export function writeInt64(buf: Buffer, pos: number, value: number): void {
  const high = Math.floor(value / TWO_POW_32);
  buf.writeInt32BE(high, pos);
  buf.writeUInt32BE(value - high * TWO_POW_32, pos + 4);
}
