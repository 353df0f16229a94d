// Proves the JSON form of record bytes: strings are UTF-8, {base64} is any
// bytes, null is null, headers keep repeats and order; malformed input is an
// INVALID_REQUEST naming the exact field; output round-trips to the same bytes.

import { describe, expect, it } from 'vitest';
import { CopylessError } from '../../../src/errors.ts';
import { bytesFromJson, bytesToJson, parseJsonRecords, recordToJson } from '../../../broker/http/json-records.ts';

function field(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(CopylessError);
    expect((e as CopylessError).errorName).toBe('INVALID_REQUEST');
    return (e as CopylessError).details.field as string;
  }
  return undefined;
}

describe('json records', () => {
  it('reads strings, base64 and null', () => {
    expect(bytesFromJson('héllo', 'v')).toEqual(Buffer.from('héllo', 'utf8'));
    expect(bytesFromJson({ base64: '/wCA' }, 'v')).toEqual(Buffer.from([0xff, 0x00, 0x80]));
    expect(bytesFromJson({ base64: '' }, 'v')).toEqual(Buffer.alloc(0));
    expect(bytesFromJson(null, 'v')).toBeNull();
    expect(bytesFromJson(undefined, 'v')).toBeNull();
  });

  it('refuses anything else, naming the field', () => {
    expect(field(() => bytesFromJson(5, 'records[2].value'))).toBe('records[2].value');
    expect(field(() => bytesFromJson({ base64: 'a' }, 'records[0].key'))).toBe('records[0].key.base64');
    expect(field(() => bytesFromJson({ base64: 'a-_b' }, 'k'))).toBe('k.base64');
    expect(field(() => bytesFromJson({ base64: 'AAAA', extra: 1 }, 'k'))).toBe('k');
    expect(field(() => bytesFromJson(['a'], 'k'))).toBe('k');
  });

  it('writes valid UTF-8 as a string and anything else as base64, both round-tripping', () => {
    for (const b of [Buffer.from('plain'), Buffer.from('ünï'), Buffer.from([0xc3, 0x28]), Buffer.from([0xff]), Buffer.alloc(0)]) {
      for (const enc of ['auto', 'base64'] as const) {
        const j = bytesToJson(b, enc);
        if (enc === 'base64') expect(j).toHaveProperty('base64');
        expect(bytesFromJson(j, 'x')).toEqual(b);
      }
    }
    expect(bytesToJson(Buffer.from([0xc3, 0x28]), 'auto')).toEqual({ base64: 'wyg=' });
    expect(bytesToJson(null, 'auto')).toBeNull();
  });

  it('parses records with headers as a list (repeats kept) or an object', () => {
    const [a, b] = parseJsonRecords([
      { key: 'k', value: 'v', headers: [{ key: 'h', value: '1' }, { key: 'h', value: null }], partition: 2, timestamp: 5 },
      { value: null, headers: { x: { base64: 'AQ==' } } },
    ]);
    expect(a.partition).toBe(2);
    expect(a.keyBytes).toEqual(Buffer.from('k'));
    expect(a.input).toEqual({ key: Buffer.from('k'), value: Buffer.from('v'), headers: [{ key: 'h', value: Buffer.from('1') }, { key: 'h', value: null }], timestamp: 5 });
    expect(b.input.headers).toEqual([{ key: 'x', value: Buffer.from([1]) }]);
    expect(b.keyBytes).toBeNull();
  });

  it('refuses malformed records, naming the field', () => {
    expect(field(() => parseJsonRecords([]))).toBe('records');
    expect(field(() => parseJsonRecords('x'))).toBe('records');
    expect(field(() => parseJsonRecords([1]))).toBe('records[0]');
    expect(field(() => parseJsonRecords([{ value: 'a' }, { value: 'b', extra: 1 }]))).toBe('records[1].extra');
    expect(field(() => parseJsonRecords([{ value: 'a', partition: -1 }]))).toBe('records[0].partition');
    expect(field(() => parseJsonRecords([{ value: 'a', partition: 1.5 }]))).toBe('records[0].partition');
    expect(field(() => parseJsonRecords([{ value: 'a', timestamp: 'now' }]))).toBe('records[0].timestamp');
    expect(field(() => parseJsonRecords([{ value: 'a', headers: [{ value: 'no key' }] }]))).toBe('records[0].headers[0]');
    expect(field(() => parseJsonRecords([{ value: 'a', headers: 'h' }]))).toBe('records[0].headers');
    expect(field(() => parseJsonRecords([{ value: 'a', headers: { h: 7 } }]))).toBe('records[0].headers.h');
  });

  it('renders a decoded record', () => {
    const j = recordToJson({ offset: 3, timestamp: 9, key: null, value: Buffer.from([0xff]), headers: [{ key: 'a', value: Buffer.from('b') }] }, 'auto');
    expect(j).toEqual({ offset: 3, timestamp: 9, key: null, value: { base64: '/w==' }, headers: [{ key: 'a', value: 'b' }] });
  });
});
