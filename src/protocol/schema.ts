// Declarative message schemas and the one generic encoder/decoder that walks
// them. A schema is a list of fields, each with a wire type and the version
// range it exists in, exactly as Apache Kafka's message JSON
// (clients/src/main/resources/common/message/*.json) declares them, with the
// JSON names in lowerCamelCase. Adding an API is a table, not code.
//
// A schema is compiled once per version into a flat list of ops. Decoding a
// field that is absent at that version yields its Kafka default (so every
// decoded object of one struct has the same keys in the same order); encoding
// skips it. Only the classic, non-flexible encodings are implemented.

import { ByteReader, type DecodeErrorName } from './byte-reader.ts';
import { ChunkWriter } from './chunk-writer.ts';
import { assert } from '../errors.ts';

export type ScalarType = 'int8' | 'int16' | 'int32' | 'int64' | 'bool' | 'string' | 'bytes' | 'records' | 'longString';

export interface FieldSpec {
  readonly name: string;
  readonly type: ScalarType | readonly FieldSpec[];
  readonly array: boolean;
  readonly versionMin: number;
  readonly versionMax: number;
  readonly nullableMin: number;
  readonly nullableMax: number;
  /** Value when absent at a version (Kafka's "default"); arrays default to a fresh []. */
  readonly defaultValue: unknown;
}

export type Schema = readonly FieldSpec[];

interface FieldOptions {
  /** Kafka's "nullableVersions", e.g. '1+'. */
  nullable?: string;
  /** Kafka's "default" when it is not the type's zero value. */
  default?: unknown;
}

const NO_VERSIONS: [number, number] = [1, 0];

/** Parse a Kafka version range: '3+', '0-2', '5', or 'none'. */
export function parseVersions(range: string): [number, number] {
  if (range === 'none') return NO_VERSIONS;
  if (range.endsWith('+')) return [Number(range.slice(0, -1)), Number.POSITIVE_INFINITY];
  const [min, max = min] = range.split('-');
  return [Number(min), Number(max)];
}

function zeroOf(type: ScalarType | Schema): unknown {
  switch (type) {
    case 'int8': case 'int16': case 'int32': case 'int64': return 0;
    case 'bool': return false;
    case 'string': case 'longString': return '';
    case 'bytes': return Buffer.alloc(0);
    case 'records': return null;
    default: return null;
  }
}

function spec(name: string, type: ScalarType | Schema, array: boolean, versions: string, o: FieldOptions): FieldSpec {
  const [versionMin, versionMax] = parseVersions(versions);
  const [nullableMin, nullableMax] = parseVersions(o.nullable ?? 'none');
  const defaultValue = 'default' in o ? o.default : array ? [] : zeroOf(type);
  return { name, type, array, versionMin, versionMax, nullableMin, nullableMax, defaultValue };
}

/** A scalar field: `field('maxBytes', 'int32', '3+', { default: 0x7fffffff })`. */
export function field(name: string, type: ScalarType, versions = '0+', o: FieldOptions = {}): FieldSpec {
  return spec(name, type, false, versions, o);
}

/** An array of scalars (`[]int32`) or of structs (a nested schema). */
export function array(name: string, element: ScalarType | Schema, versions = '0+', o: FieldOptions = {}): FieldSpec {
  return spec(name, element, true, versions, o);
}

// ---- compilation --------------------------------------------------------

const Kind = {
  int8: 0, int16: 1, int32: 2, int64: 3, bool: 4, string: 5, bytes: 6, records: 7, longString: 8, struct: 9,
} as const;

const BYTES_MIN: Record<ScalarType, number> = {
  int8: 1, int16: 2, int32: 4, int64: 8, bool: 1, string: 2, bytes: 4, records: 4, longString: 4,
};

interface Op {
  readonly key: string;
  /** Dotted path for error messages, e.g. `topicData[].partitionData[].records`. */
  readonly path: string;
  readonly present: boolean;
  readonly kind: number;
  readonly array: boolean;
  readonly nullable: boolean;
  readonly struct: CompiledStruct | null;
  readonly elementBytesMin: number;
  readonly defaultValue: unknown;
}

export interface CompiledStruct {
  readonly ops: readonly Op[];
  /** Fewest bytes one encoded instance takes; bounds array counts. */
  readonly bytesMin: number;
}

export function compile(schema: Schema, version: number, prefix = ''): CompiledStruct {
  let bytesMin = 0;
  const ops = schema.map((f): Op => {
    const present = version >= f.versionMin && version <= f.versionMax;
    const nullable = version >= f.nullableMin && version <= f.nullableMax;
    const path = prefix + f.name;
    const struct = typeof f.type === 'string' ? null : compile(f.type, version, `${path}${f.array ? '[]' : ''}.`);
    const elementBytesMin = struct ? struct.bytesMin : BYTES_MIN[f.type as ScalarType];
    if (present) bytesMin += f.array ? 4 : elementBytesMin;
    const kind = struct ? Kind.struct : Kind[f.type as ScalarType];
    if (present && f.array) assert(elementBytesMin > 0, `${path}: an array element must take at least one byte`);
    return { key: f.name, path, present, kind, array: f.array, nullable, struct, elementBytesMin, defaultValue: f.defaultValue };
  });
  return { ops, bytesMin };
}

// ---- decoding -------------------------------------------------------------

function defaultOf(op: Op): unknown {
  return op.array ? (op.defaultValue === null ? null : []) : op.defaultValue;
}

export function decodeStruct(c: CompiledStruct, r: ByteReader): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const op of c.ops) out[op.key] = op.present ? decodeField(op, r) : defaultOf(op);
  return out;
}

function decodeField(op: Op, r: ByteReader): unknown {
  if (!op.array) return decodeValue(op, r, op.nullable);
  const count = r.arrayCount(op.path, op.nullable, op.elementBytesMin);
  if (count < 0) return null;
  const items = new Array<unknown>(count);
  for (let i = 0; i < count; i++) items[i] = decodeValue(op, r, false);
  return items;
}

function decodeValue(op: Op, r: ByteReader, nullable: boolean): unknown {
  switch (op.kind) {
    case Kind.int8: return r.int8(op.path);
    case Kind.int16: return r.int16(op.path);
    case Kind.int32: return r.int32(op.path);
    case Kind.int64: return r.int64(op.path);
    case Kind.bool: return r.bool(op.path);
    case Kind.string: return r.string(op.path, nullable);
    case Kind.bytes: return r.bytes(op.path, nullable);
    case Kind.records: return r.bytes(op.path, true);
    case Kind.longString: return r.longString(op.path);
    default: return decodeStruct(op.struct!, r);
  }
}

/** Decode one message body starting at `offset` of `frame`; bytes fields are subarrays of `frame`. */
export function decodeMessage(c: CompiledStruct, frame: Buffer, offset: number, errorName: DecodeErrorName): Record<string, unknown> {
  return decodeStruct(c, new ByteReader(frame, offset, errorName));
}

// ---- encoding -------------------------------------------------------------

export function encodeStruct(c: CompiledStruct, value: unknown, w: ChunkWriter, path: string): void {
  if (typeof value !== 'object' || value === null) w.fail(path || 'body', 'is not an object');
  const obj = value as Record<string, unknown>;
  for (const op of c.ops) {
    if (!op.present) continue;
    const v = obj[op.key];
    encodeField(op, v === undefined ? defaultOf(op) : v, w);
  }
}

function encodeField(op: Op, value: unknown, w: ChunkWriter): void {
  if (!op.array) return encodeValue(op, value, w, op.nullable);
  if (value === null) {
    if (!op.nullable) w.fail(op.path, 'null in a non-nullable array');
    return w.int32(-1, op.path);
  }
  if (!Array.isArray(value)) w.fail(op.path, 'is not an array');
  w.int32(value.length, op.path);
  for (const item of value) encodeValue(op, item, w, false);
}

function encodeValue(op: Op, value: unknown, w: ChunkWriter, nullable: boolean): void {
  switch (op.kind) {
    case Kind.int8: return w.int8(value, op.path);
    case Kind.int16: return w.int16(value, op.path);
    case Kind.int32: return w.int32(value, op.path);
    case Kind.int64: return w.int64(value, op.path);
    case Kind.bool: return w.bool(value, op.path);
    case Kind.string: return w.string(value, op.path, nullable);
    case Kind.bytes: return w.bytes(value, op.path, nullable);
    case Kind.records: return w.records(value, op.path);
    case Kind.longString: return w.longString(value, op.path);
    default: return encodeStruct(op.struct!, value, w, op.path);
  }
}
