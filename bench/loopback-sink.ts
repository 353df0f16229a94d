// The receiving half of the loopback ceiling measurement (`limits`): a second
// Node process that accepts one TCP connection at a time on 127.0.0.1, reads
// everything and reports how many bytes arrived between the first byte and
// the end of the stream. Timing at the receiver counts only bytes that really
// crossed loopback, not ones still queued in the sender. A second port echoes
// whatever it receives, for the round-trip (latency floor) measurement.

import net from 'node:net';
import { serveParent } from './child.ts';

export interface SinkResult {
  bytes: number;
  seconds: number;
}

const waiting: Array<(r: SinkResult) => void> = [];
const done: SinkResult[] = [];

const server = net.createServer((socket) => {
  let bytes = 0;
  let first = 0n;
  socket.on('data', (chunk) => {
    if (bytes === 0) first = process.hrtime.bigint();
    bytes += chunk.length;
  });
  socket.on('error', () => {});
  socket.on('end', () => {
    const seconds = Number(process.hrtime.bigint() - first) / 1e9;
    const result = { bytes, seconds };
    const w = waiting.shift();
    if (w) w(result);
    else done.push(result);
    socket.end();
  });
});

const echo = net.createServer((socket) => {
  socket.setNoDelay(true);
  socket.on('data', (chunk) => socket.write(chunk));
  socket.on('error', () => {});
});

const listening = (s: net.Server) => new Promise<number>((resolve) => s.listen(0, '127.0.0.1', () => resolve((s.address() as net.AddressInfo).port)));

Promise.all([listening(server), listening(echo)]).then(([port, echoPort]) => {
  serveParent(
    {
      /** The next finished connection's byte count and duration. */
      result: () => done.shift() ?? new Promise<SinkResult>((resolve) => waiting.push(resolve)),
    },
    { port, echoPort },
    () => Promise.all([server, echo].map((s) => new Promise<void>((resolve) => s.close(() => resolve())))).then(() => undefined),
  );
});
