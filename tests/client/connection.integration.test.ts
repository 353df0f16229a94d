// Proves the client connection over a tiny fake broker on a real socket: pipelined requests are matched to their responses by correlation id, responses arriving a byte at a time are reassembled, a lost socket fails in-flight requests with CONNECTION_CLOSED and the next request reconnects (with back-off while the broker is down), timeouts drop late answers, and the handshake runs first on every connection.
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { Connection } from '../../client/connection.ts';
import { ApiKey, FrameDecoder, decodeRequest, decodeRequestHeader, encodeResponse, type RequestHeader } from '../../src/protocol/index.ts';

interface Seen {
  header: RequestHeader;
  payload: Record<string, unknown>;
  socket: net.Socket;
}

/** Answers CopylessBrokerInfo with the request's own JSON; `behave` may hold, drop or trickle answers. */
class FakeBroker {
  readonly server = net.createServer((s) => this.accept(s));
  readonly sockets = new Set<net.Socket>();
  readonly seen: Seen[] = [];
  connections = 0;
  behave: (s: Seen, answer: () => void) => void = (_s, answer) => answer();
  byteAtATime = false;

  async listen(port = 0): Promise<number> {
    await new Promise<void>((resolve) => this.server.listen(port, '127.0.0.1', resolve));
    return (this.server.address() as net.AddressInfo).port;
  }

  close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private accept(socket: net.Socket): void {
    this.connections++;
    this.sockets.add(socket);
    const decoder = new FrameDecoder({ frameBytesMax: 1 << 20 });
    socket.on('error', () => undefined);
    socket.on('data', (chunk) => {
      for (const frame of decoder.push(chunk)) {
        const { header, bodyOffset } = decodeRequestHeader(frame);
        const body = decodeRequest(header, frame, bodyOffset) as { json?: string };
        const payload = header.apiKey === ApiKey.ApiVersions ? { apiVersions: true } : JSON.parse(body.json ?? '{}');
        const s = { header, payload, socket };
        this.seen.push(s);
        this.behave(s, () => this.answer(s));
      }
    });
  }

  answer(s: Seen): void {
    if (s.socket.destroyed) return;
    const body =
      s.header.apiKey === ApiKey.ApiVersions
        ? { errorCode: 0, apiKeys: [{ apiKey: ApiKey.CopylessBrokerInfo, minVersion: 0, maxVersion: 0 }], throttleTimeMs: 0 }
        : { errorCode: 0, errorMessage: null, json: JSON.stringify({ echo: s.payload }) };
    const bytes = Buffer.concat(encodeResponse(s.header, body) as Buffer[]);
    if (!this.byteAtATime) {
      s.socket.write(bytes);
      return;
    }
    for (let i = 0; i < bytes.length; i++) s.socket.write(bytes.subarray(i, i + 1));
  }
}

const RETRY = { retries: 0, initialRetryTimeMs: 10, maxRetryTimeMs: 50 };
let cleanup: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const fn of cleanup.reverse()) await fn();
  cleanup = [];
});

async function setup(o: Partial<ConstructorParameters<typeof Connection>[0]> = {}) {
  const broker = new FakeBroker();
  const port = await broker.listen();
  const connection = new Connection({ host: '127.0.0.1', port, clientId: 'test', connectTimeoutMs: 1000, requestTimeoutMs: 5000, retry: RETRY, ...o });
  cleanup.push(() => broker.close(), () => connection.close());
  return { broker, connection, port };
}

function info(connection: Connection, payload: unknown) {
  return connection
    .request<{ errorCode: number; json: string }>(ApiKey.CopylessBrokerInfo, 0, { json: JSON.stringify(payload) })
    .then((r) => JSON.parse(r.json).echo);
}

describe('Connection', () => {
  it('pipelines requests and matches every response to its request by correlation id', async () => {
    const { broker, connection } = await setup();
    const held: (() => void)[] = [];
    // Answer nothing until all 50 requests have arrived: only pipelining gets them there.
    broker.behave = (_s, answer) => {
      held.push(answer);
      if (held.length === 50) for (const a of held) a();
    };
    const answers = await Promise.all(Array.from({ length: 50 }, (_, n) => info(connection, { n })));
    expect(answers).toEqual(Array.from({ length: 50 }, (_, n) => ({ n })));
    const ids = broker.seen.map((s) => s.header.correlationId);
    expect(new Set(ids).size).toBe(50);
    expect(broker.seen.every((s) => s.header.clientId === 'test')).toBe(true);
    expect(broker.connections).toBe(1);
  });

  it('reassembles responses that arrive one byte at a time', async () => {
    const { broker, connection } = await setup();
    broker.byteAtATime = true;
    const answers = await Promise.all([info(connection, { a: 1 }), info(connection, { b: 'x'.repeat(300) })]);
    expect(answers).toEqual([{ a: 1 }, { b: 'x'.repeat(300) }]);
  });

  it('fails in-flight requests with CONNECTION_CLOSED when the socket drops, then reconnects on the next request', async () => {
    const { broker, connection } = await setup();
    broker.behave = (s, answer) => (s.payload.drop ? s.socket.destroy() : answer());
    const dropped = info(connection, { drop: true });
    await expect(dropped).rejects.toMatchObject({ errorName: 'CONNECTION_CLOSED', retriable: true });
    expect(await info(connection, { again: 1 })).toEqual({ again: 1 });
    expect(broker.connections).toBe(2);
  });

  it('retries the TCP connect with back-off until the broker comes up', async () => {
    const probe = new FakeBroker();
    const port = await probe.listen();
    await probe.close();
    const connection = new Connection({
      host: '127.0.0.1',
      port,
      clientId: 'test',
      connectTimeoutMs: 1000,
      requestTimeoutMs: 5000,
      retry: { retries: 50, initialRetryTimeMs: 10, maxRetryTimeMs: 40 },
    });
    const broker = new FakeBroker();
    cleanup.push(() => broker.close(), () => connection.close());
    const pending = info(connection, { late: true });
    await new Promise((r) => setTimeout(r, 100));
    await broker.listen(port);
    expect(await pending).toEqual({ late: true });
  });

  it('reports an unreachable broker as CONNECTION_CLOSED once retries are spent', async () => {
    const probe = new FakeBroker();
    const port = await probe.listen();
    await probe.close();
    const connection = new Connection({ host: '127.0.0.1', port, clientId: 't', connectTimeoutMs: 500, requestTimeoutMs: 500, retry: { ...RETRY, retries: 2 } });
    await expect(info(connection, {})).rejects.toMatchObject({ errorName: 'CONNECTION_CLOSED', message: expect.stringContaining('ECONNREFUSED') });
  });

  it('times out a request with REQUEST_TIMED_OUT, drops its late answer and keeps serving', async () => {
    const { broker, connection } = await setup({ requestTimeoutMs: 100 });
    let late: (() => void) | null = null;
    broker.behave = (s, answer) => (s.payload.slow ? (late = answer) : answer());
    await expect(info(connection, { slow: true })).rejects.toMatchObject({ errorName: 'REQUEST_TIMED_OUT' });
    late!();
    expect(await info(connection, { next: 2 })).toEqual({ next: 2 });
    expect(connection.inflightCount).toBe(0);
  });

  it('resolves a request that expects no response once it is written', async () => {
    const { broker, connection } = await setup();
    broker.behave = () => undefined;
    await connection.request(ApiKey.CopylessBrokerInfo, 0, { json: '{"fireAndForget":1}' }, { expectResponse: false });
    expect(connection.inflightCount).toBe(0);
    await expect.poll(() => broker.seen.length).toBe(1);
  });

  it('runs the onConnect handshake before queued requests, on every connection', async () => {
    const { broker, connection } = await setup({
      onConnect: async (c) => {
        await c.send(ApiKey.ApiVersions, 2, {});
      },
    });
    broker.behave = (s, answer) => (s.payload.drop ? s.socket.destroy() : answer());
    await Promise.all([info(connection, { first: 1 }), info(connection, { second: 2 })]);
    await expect(info(connection, { drop: true })).rejects.toMatchObject({ errorName: 'CONNECTION_CLOSED' });
    await info(connection, { third: 3 });
    const order = broker.seen.map((s) => (s.payload.apiVersions ? 'handshake' : Object.keys(s.payload)[0]));
    expect(order).toEqual(['handshake', 'first', 'second', 'drop', 'handshake', 'third']);
  });

  it('refuses a response frame over frameBytesMax and fails the request', async () => {
    const { connection } = await setup({ frameBytesMax: 64 });
    await expect(info(connection, { big: 'y'.repeat(200) })).rejects.toMatchObject({ errorName: 'LIMIT_EXCEEDED' });
  });

  it('fails requests after close() with CONNECTION_CLOSED', async () => {
    const { connection } = await setup();
    await info(connection, {});
    await connection.close();
    await expect(info(connection, {})).rejects.toMatchObject({ errorName: 'CONNECTION_CLOSED' });
  });
});
