// Shared fixture for the page-cache tests: temp files with known bytes, a fake
// clock, and a seeded PRNG so random-operation tests are reproducible.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PageCache, type PageCacheOptions } from '../../src/storage/page-cache.ts';
import { PAGE_BYTES } from '../../src/limits.ts';

export const PAGE = PAGE_BYTES;

/** mulberry32: small, fast, good enough to drive random operations. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface TestFile {
  id: number;
  fd: number;
  path: string;
  /** The bytes the real file holds (kept in step by the tests' writes). */
  content: Buffer;
}

export class Fixture {
  readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), 'copyless-pc-'));
  readonly files: TestFile[] = [];
  clockMs = 1_000_000;
  readonly pc: PageCache;

  constructor(opts: Omit<PageCacheOptions, 'now'>) {
    this.pc = new PageCache({ ...opts, now: () => this.clockMs });
  }

  /** A file of `bytes` bytes where byte i of file k is a function of (k, i), registered with the cache. */
  addFile(bytes: number, seed = this.files.length + 1): TestFile {
    const p = path.join(this.dir, `f${this.files.length}.log`);
    const content = Buffer.alloc(bytes);
    const rnd = prng(seed);
    for (let i = 0; i + 4 <= bytes; i += 4) content.writeUInt32LE((rnd() * 4294967296) >>> 0, i);
    for (let i = bytes - (bytes % 4); i < bytes; i++) content[i] = (rnd() * 256) | 0;
    fs.writeFileSync(p, content);
    const fd = fs.openSync(p, 'r+');
    const id = this.pc.registerFile({ name: path.basename(p), fd, size: bytes });
    const f = { id, fd, path: p, content };
    this.files.push(f);
    return f;
  }

  /** Write through: the real file first (as the log does), then the cache. */
  write(f: TestFile, position: number, data: Buffer): { pages: number; throttled: boolean } {
    fs.writeSync(f.fd, data, 0, data.length, position);
    if (position + data.length > f.content.length) {
      const grown = Buffer.alloc(position + data.length);
      f.content.copy(grown);
      f.content = grown;
    }
    data.copy(f.content, position);
    return this.pc.write(f.id, position, data);
  }

  close(): void {
    for (const f of this.files) fs.closeSync(f.fd);
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

export function concat(views: Buffer[]): Buffer {
  return Buffer.concat(views);
}

/** Byte equality without vitest's slow element-by-element Buffer diff. */
export function sameBytes(views: Buffer[] | Buffer, expected: Buffer): boolean {
  return (Array.isArray(views) ? Buffer.concat(views) : views).equals(expected);
}
