// Proves the WebSocket op parser: the documented ops parse with their
// defaults, and every malformed op is a typed error naming the field.

import { describe, expect, it } from 'vitest';
import { CopylessError } from '../../../src/errors.ts';
import { WS_FETCH_BYTES_DEFAULT } from '../../../src/limits.ts';
import { parseOp } from '../../../broker/ws/ops.ts';

function refused(text: unknown): { name: string; field: unknown } {
  try {
    parseOp(typeof text === 'string' ? text : JSON.stringify(text));
  } catch (e) {
    expect(e).toBeInstanceOf(CopylessError);
    return { name: (e as CopylessError).errorName, field: (e as CopylessError).details.field };
  }
  throw new Error(`accepted ${JSON.stringify(text)}`);
}

describe('parseOp', () => {
  it('parses subscribe with the documented defaults', () => {
    expect(parseOp('{"op":"subscribe","topic":"demo","partition":0,"offset":"latest"}')).toEqual({
      op: 'subscribe',
      id: null,
      topic: 'demo',
      partition: 0,
      offset: 'latest',
      group: null,
      format: 'json',
      fetchMode: null,
      maxBytes: WS_FETCH_BYTES_DEFAULT,
      encoding: 'auto',
    });
    expect(parseOp('{"op":"subscribe","id":"a","topic":"demo","offset":12,"group":"g","format":"binary","fetchMode":"mmap","maxBytes":1024}')).toMatchObject({
      id: 'a',
      partition: null,
      offset: 12,
      group: 'g',
      format: 'binary',
      fetchMode: 'mmap',
      maxBytes: 1024,
    });
  });

  it('parses produce, channels, unsubscribe and ping', () => {
    const p = parseOp('{"op":"produce","id":1,"topic":"demo","acks":"all","records":[{"value":"x"}]}');
    expect(p).toMatchObject({ op: 'produce', id: 1, topic: 'demo', acks: -1, partition: undefined });
    expect(parseOp('{"op":"subscribe","channel":"stats"}')).toEqual({ op: 'subscribe-stats', id: null });
    expect(parseOp('{"op":"unsubscribe","channel":"stats","id":2}')).toEqual({ op: 'unsubscribe-stats', id: 2 });
    expect(parseOp('{"op":"unsubscribe","subscription":3}')).toEqual({ op: 'unsubscribe', id: null, subscription: 3 });
    expect(parseOp('{"op":"ping","id":"p"}')).toEqual({ op: 'ping', id: 'p' });
  });

  it('refuses malformed ops, naming the field', () => {
    expect(refused('{')).toEqual({ name: 'INVALID_REQUEST', field: 'message' });
    expect(refused([1])).toEqual({ name: 'INVALID_REQUEST', field: 'message' });
    expect(refused({ op: 'jump' })).toEqual({ name: 'INVALID_REQUEST', field: 'op' });
    expect(refused({ op: 'ping', id: {} })).toEqual({ name: 'INVALID_REQUEST', field: 'id' });
    expect(refused({ op: 'subscribe', topic: 'a/b' })).toEqual({ name: 'INVALID_TOPIC_EXCEPTION', field: 'topic' });
    expect(refused({ op: 'subscribe', topic: 't', partition: -1 })).toEqual({ name: 'INVALID_REQUEST', field: 'partition' });
    expect(refused({ op: 'subscribe', topic: 't', offset: 'soon' })).toEqual({ name: 'INVALID_REQUEST', field: 'offset' });
    expect(refused({ op: 'subscribe', topic: 't', format: 'xml' })).toEqual({ name: 'INVALID_REQUEST', field: 'format' });
    expect(refused({ op: 'subscribe', topic: 't', encoding: 'hex' })).toEqual({ name: 'INVALID_REQUEST', field: 'encoding' });
    expect(refused({ op: 'subscribe', topic: 't', group: '' })).toEqual({ name: 'INVALID_REQUEST', field: 'group' });
    expect(refused({ op: 'subscribe', topic: 't', fetchMode: 'warp' })).toMatchObject({ field: 'fetchMode' });
    expect(refused({ op: 'subscribe', topic: 't', format: 'binary', fetchMode: 'native-copy' })).toEqual({ name: 'FETCH_MODE_UNAVAILABLE', field: 'fetchMode' });
    expect(refused({ op: 'subscribe', topic: 't', maxBytes: 1e9 })).toEqual({ name: 'LIMIT_EXCEEDED', field: 'maxBytes' });
    expect(refused({ op: 'subscribe', channel: 'news' })).toEqual({ name: 'INVALID_REQUEST', field: 'channel' });
    expect(refused({ op: 'unsubscribe' })).toEqual({ name: 'INVALID_REQUEST', field: 'subscription' });
    expect(refused({ op: 'produce', topic: 't', records: [] })).toEqual({ name: 'INVALID_REQUEST', field: 'records' });
    expect(refused({ op: 'produce', topic: 't', acks: 2, records: [{ value: 'x' }] })).toEqual({ name: 'INVALID_REQUIRED_ACKS', field: 'acks' });
    expect(refused({ op: 'produce', topic: 't', timeoutMs: 0, records: [{ value: 'x' }] })).toEqual({ name: 'INVALID_REQUEST', field: 'timeoutMs' });
  });
});
