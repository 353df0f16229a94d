// native-sendfile vs native-copy over loopback TCP, from a file in the OS page
// cache: throughput and CPU seconds per GiB on both ends.
//
//   npx tsx bench/native-sendfile.ts [--file-mib 256] [--passes 4] [--repeat 3]
//       [--sizes 16K,64K,256K,1M,4M] [--modes sendfile,copy] [--json out-native-sendfile.json]
//
// One measurement sends the whole file `passes` times as consecutive Fetch-like
// calls, each `sendSequence(socket, [64-byte header, file range of <size>])`,
// awaited one after another on one connection. `size` is the bytes per call
// (per Fetch); within a call no sendfile or pread moves more than
// NATIVE_CALL_BYTES_DEFAULT. The reader is bench/loopback-sink.ts in its own
// process: it reads and discards, and its CPU comes from /proc/<pid>/stat
// (10 ms resolution, hence several passes per measurement). Throughput is the
// reader's: bytes over the time from its first byte to the end of the stream.
// Sender CPU is process.cpuUsage() of this process (the JS thread and the
// threadpool thread doing the system calls). On loopback the receive path
// (softirq) is charged to whichever side runs it, so the sum of the two is the
// fair comparison. The file is read once first and its residency checked with
// mincore, so every measurement is warm-cache. The figures are only as quiet
// as the machine: run it with nothing else busy (`uptime` before and after).

import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

import { type NativeSendMode, type NativeSendResult, fileResidency, native, sendSequence } from '../broker/native/index.ts';
import { NATIVE_CALL_BYTES_DEFAULT } from '../src/limits.ts';
import { Child } from './child.ts';
import { machineInfo } from './machine.ts';
import { cpuDelta, processCpu } from './proc-stat.ts';
import type { SinkResult } from './loopback-sink.ts';
import { type Summary, summarize } from './stats.ts';

const KiB = 1024;
const MiB = 1024 * KiB;
const GiB = 1024 * MiB;
/** A Fetch response header is tens of bytes: size, correlation id, topic, partition, error, offsets. */
const HEADER_BYTES = 64;
const SINK_ENTRY = fileURLToPath(new URL('./loopback-sink.ts', import.meta.url));

interface Sample {
  gibPerSec: number;
  senderCpuSecPerGib: number;
  readerCpuSecPerGib: number;
  /** Sender plus reader: on loopback the receive path runs in softirq on either side, so only the sum compares fairly. */
  totalCpuSecPerGib: number;
  syscallsPerCall: number;
  eagainPerGib: number;
}

function parseSize(text: string): number {
  const match = /^(\d+)([KM]?)$/i.exec(text.trim());
  if (!match) throw new Error(`--sizes: ${text} is not a size like 16K or 1M`);
  return Number(match[1]) * (match[2].toUpperCase() === 'M' ? MiB : match[2] ? KiB : 1);
}

function options() {
  const { values } = parseArgs({
    options: {
      'file-mib': { type: 'string', default: '256' },
      passes: { type: 'string', default: '4' },
      repeat: { type: 'string', default: '3' },
      sizes: { type: 'string', default: '16K,64K,256K,1M,4M' },
      modes: { type: 'string', default: 'sendfile,copy' },
      json: { type: 'string', default: 'out-native-sendfile.json' },
      dir: { type: 'string', default: os.tmpdir() },
    },
  });
  return {
    fileBytes: Number(values['file-mib']) * MiB,
    passes: Number(values.passes),
    repeat: Number(values.repeat),
    sizes: values.sizes.split(',').map(parseSize),
    modes: values.modes.split(',') as NativeSendMode[],
    json: values.json,
    dir: values.dir,
  };
}

/** Writes the test file and reads it back once so every page is in the OS page cache. */
function warmFile(dir: string, bytes: number): { fd: number; remove(): void } {
  const tmp = fs.mkdtempSync(path.join(dir, 'copyless-bench-native-'));
  const file = path.join(tmp, 'segment.log');
  const chunk = Buffer.alloc(4 * MiB);
  const fd = fs.openSync(file, 'w+');
  for (let written = 0; written < bytes; written += chunk.length) {
    for (let i = 0; i < chunk.length; i += 8) chunk.writeDoubleLE(Math.random(), i);
    fs.writeSync(fd, chunk, 0, Math.min(chunk.length, bytes - written), written);
  }
  for (let read = 0; read < bytes; read += chunk.length) fs.readSync(fd, chunk, 0, chunk.length, read);
  const { pages, residentPages } = fileResidency(fd);
  if (residentPages < pages) console.warn(`warning: only ${residentPages} of ${pages} pages are cached; results are not fully warm`);
  return {
    fd,
    remove() {
      fs.closeSync(fd);
      fs.rmSync(tmp, { recursive: true, force: true });
    },
  };
}

async function connect(port: number): Promise<net.Socket> {
  const socket = net.connect(port, '127.0.0.1');
  await new Promise((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  return socket;
}

async function measure(sink: Child, o: { fd: number; fileBytes: number; passes: number; size: number; mode: NativeSendMode }): Promise<Sample> {
  const socket = await connect((sink.info as { port: number }).port);
  const header = Buffer.alloc(HEADER_BYTES, 0x2a);
  let calls = 0;
  let syscalls = 0;
  let eagain = 0;
  const cpuBefore = process.cpuUsage();
  const readerBefore = processCpu(sink.pid);
  for (let pass = 0; pass < o.passes; pass++) {
    for (let position = 0; position < o.fileBytes; position += o.size) {
      const range = { fd: o.fd, position, length: Math.min(o.size, o.fileBytes - position) };
      const result: NativeSendResult = await sendSequence(socket, [header, range], { mode: o.mode });
      calls++;
      syscalls += result.syscalls;
      eagain += result.eagain;
    }
  }
  socket.end();
  const received = await sink.call<SinkResult>('result');
  const cpu = process.cpuUsage(cpuBefore);
  const reader = cpuDelta(readerBefore, processCpu(sink.pid));
  const gib = received.bytes / GiB;
  const senderCpuSecPerGib = (cpu.user + cpu.system) / 1e6 / gib;
  const readerCpuSecPerGib = reader ? (reader.userSec + reader.systemSec) / gib : Number.NaN;
  return {
    gibPerSec: gib / received.seconds,
    senderCpuSecPerGib,
    readerCpuSecPerGib,
    totalCpuSecPerGib: senderCpuSecPerGib + readerCpuSecPerGib,
    syscallsPerCall: syscalls / calls,
    eagainPerGib: eagain / gib,
  };
}

function cell(s: Summary, digits: number): string {
  return `${s.median.toFixed(digits)} ±${(s.spreadPct ?? 0).toFixed(0)}%`;
}

function sizeLabel(bytes: number): string {
  return bytes >= MiB ? `${bytes / MiB} MiB` : `${bytes / KiB} KiB`;
}

async function main(): Promise<void> {
  if (!native.available) throw new Error(`native modes are unavailable: ${native.reason}`);
  const o = options();
  const file = warmFile(o.dir, o.fileBytes);
  const sink = await Child.start(SINK_ENTRY, { name: 'loopback sink' });
  const rows: Array<{ mode: NativeSendMode; callBytes: number; figures: Record<keyof Sample, Summary> }> = [];
  try {
    for (const size of o.sizes) {
      for (const mode of o.modes) {
        const samples: Sample[] = [];
        for (let r = 0; r < o.repeat; r++) samples.push(await measure(sink, { fd: file.fd, fileBytes: o.fileBytes, passes: o.passes, size, mode }));
        const keys = Object.keys(samples[0]) as Array<keyof Sample>;
        const figures = Object.fromEntries(keys.map((k) => [k, summarize(samples.map((s) => s[k]))])) as Record<keyof Sample, Summary>;
        rows.push({ mode, callBytes: size, figures });
        const f = figures;
        console.log(
          [`native-${mode}`.padEnd(16), sizeLabel(size).padStart(8), cell(f.gibPerSec, 2).padStart(12), cell(f.senderCpuSecPerGib, 3).padStart(14),
            cell(f.readerCpuSecPerGib, 3).padStart(14), cell(f.totalCpuSecPerGib, 3).padStart(14), f.syscallsPerCall.median.toFixed(1).padStart(9), f.eagainPerGib.median.toFixed(0).padStart(8)].join(' '),
        );
      }
    }
  } finally {
    await sink.stop();
    file.remove();
  }
  const params = { fileBytes: o.fileBytes, passes: o.passes, repeat: o.repeat, headerBytes: HEADER_BYTES, syscallBytesMax: NATIVE_CALL_BYTES_DEFAULT, cache: 'warm (file read once, residency checked)' };
  const loadAverageAtEnd = loadAverage();
  fs.writeFileSync(o.json, `${JSON.stringify({ bench: 'native-sendfile', machine: machineInfo(), params, loadAverageAtEnd, rows }, null, 2)}\n`);
  console.log(`load average ${loadAverageAtEnd}; wrote ${o.json}`);
}

/** The 1-minute load average: above the core count, other work shared the CPU with the measurement. */
function loadAverage(): string {
  return os.loadavg()[0].toFixed(2);
}

function printHeader(): void {
  const m = machineInfo();
  console.log(`native-sendfile vs native-copy, loopback TCP, warm OS page cache; ${m.cpuModel}, ${m.cores} cores, Linux ${m.kernel}, Node ${m.nodeVersion}`);
  console.log(`median ±spread over repeats; CPU in seconds per GiB delivered; calls are Fetch-like sendSequence calls; load average ${loadAverage()}`);
  console.log(['mode'.padEnd(16), 'call'.padStart(8), 'GiB/s'.padStart(12), 'sender CPU'.padStart(14), 'reader CPU'.padStart(14), 'total CPU'.padStart(14), 'sys/call'.padStart(9), 'EAGAIN/GiB'.padStart(8)].join(' '));
}

printHeader();
main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exitCode = 1;
});
