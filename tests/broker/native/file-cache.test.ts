// Proves that dropFileCache empties a file's pages from the OS page cache (without root) and fileResidency counts them, and that bad descriptors get typed errors.

import fs from 'node:fs';

import { describe, expect, it } from 'vitest';

import { dropFileCache, fileResidency, native } from '../../../broker/native/index.ts';
import { MiB, nativeSuite, tempFile } from './fixtures.ts';

const PAGE_BYTES = 4096;

describe.skipIf(!native.available)(nativeSuite('OS page cache control'), () => {
  it('drops a just-written file from the cache; reading it brings it back', () => {
    const file = tempFile(4 * MiB);
    const pages = (4 * MiB) / PAGE_BYTES;
    try {
      expect(fileResidency(file.fd)).toEqual({ pages, residentPages: pages });
      dropFileCache(file.fd);
      expect(fileResidency(file.fd)).toEqual({ pages, residentPages: 0 });
      fs.readFileSync(file.path);
      expect(fileResidency(file.fd).residentPages).toBe(pages);
    } finally {
      file.remove();
    }
  });

  it('refuses descriptors that are not open files, naming fd', () => {
    const file = tempFile(10);
    file.remove();
    expect(() => dropFileCache(file.fd)).toThrow(expect.objectContaining({ errorName: 'INVALID_REQUEST', details: { field: 'fd' } }));
    expect(() => fileResidency(-1)).toThrow(/^fd must be a file descriptor, got -1$/);
  });
});
