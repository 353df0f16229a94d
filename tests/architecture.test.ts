// Proves the source tree keeps its layers (docs/architecture.md): no import
// cycle among src/, broker/, client/, bench/ and bin/; client/ imports nothing
// from broker/ or bench/ and, from src/, only the protocol codec, the record
// format, the errors and the limits; src/ imports neither side and no socket
// module; broker/ imports nothing from client/ or bench/; only bin/ is above
// them all. Type-only imports count: a cycle of types is still two modules
// that cannot be read, moved or split one without the other. Dynamic imports
// count too.

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { describeCycle, importCycles, importsOf, readImportGraph, type ImportGraph } from './helpers/import-graph.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SOURCE_DIRS = ['src', 'broker', 'client', 'bench', 'bin'] as const;

/**
 * Cycles that exist and are being removed. The test fails on any cycle not
 * listed here and on a listed one that no longer exists, so this list only
 * ever shrinks and cannot go stale.
 */
const KNOWN_CYCLES: string[][] = [];

interface LayerRule {
  from: string;
  /** Path prefixes (or bare specifiers) `from` must not import. */
  forbidden: readonly string[];
  /** When set, the only src/ prefixes `from` may import. */
  srcAllowed?: readonly string[];
  why: string;
}

/** Socket and server modules: src/ knows no sockets. */
const SOCKET_MODULES = ['node:net', 'net', 'node:tls', 'tls', 'node:dgram', 'dgram', 'node:http', 'http', 'node:https', 'https', 'node:http2', 'http2', 'ws', 'fastify'];

const LAYER_RULES: readonly LayerRule[] = [
  { from: 'src/', forbidden: ['broker/', 'client/', 'bench/', 'bin/', ...SOCKET_MODULES], why: 'src/ is shared by both sides and knows no sockets' },
  {
    from: 'client/',
    forbidden: ['broker/', 'bench/', 'bin/'],
    srcAllowed: ['src/protocol/', 'src/record/', 'src/errors.ts', 'src/limits.ts'],
    why: 'the SDK and CLI speak the Kafka protocol only: the codec, the record format, the errors and the limits',
  },
  { from: 'broker/', forbidden: ['client/', 'bench/', 'bin/'], why: 'the broker never imports the client or the benchmark' },
  { from: 'bench/', forbidden: ['bin/'], why: 'bin/ is the top: it dispatches to everything and nothing imports it' },
];

function matches(target: string, prefix: string): boolean {
  return prefix.endsWith('/') || prefix.endsWith('.ts') ? target.startsWith(prefix) : target === prefix;
}

/** Every import that breaks a layer rule, as `from -> to: why`. */
function layerViolations(graph: ImportGraph): string[] {
  const out: string[] = [];
  for (const [from, edges] of graph) {
    for (const rule of LAYER_RULES) {
      if (!from.startsWith(rule.from)) continue;
      for (const e of edges) {
        const forbidden = rule.forbidden.some((p) => matches(e.to, p));
        const srcRefused = rule.srcAllowed !== undefined && e.local && e.to.startsWith('src/') && !rule.srcAllowed.some((p) => matches(e.to, p));
        if (forbidden || srcRefused) out.push(`${from} -> ${e.to} (${e.kind}): ${rule.why}`);
      }
    }
  }
  return out.sort();
}

function graphOf(edges: Record<string, string[]>): ImportGraph {
  const g: ImportGraph = new Map();
  for (const [from, tos] of Object.entries(edges)) {
    g.set(from, tos.map((to) => ({ to, kind: 'value' as const, local: to.includes('/') })));
  }
  return g;
}

describe('the import graph reader', () => {
  it('sees value, type-only, re-export, dynamic and type-position imports', () => {
    const text = [
      "import a from './a.ts';",
      "import { b } from './b.ts';",
      "import type { C } from './c.ts';",
      "import { type D, type E } from './d.ts';",
      "import { type F, g } from './f.ts';",
      "import './side-effect.ts';",
      "export { h } from './h.ts';",
      "export type { I } from './i.ts';",
      "export * from './j.ts';",
      "const k = await import('./k.ts');",
      "let l: typeof import('./l.ts');",
      "import net from 'node:net';",
    ].join('\n');
    expect(importsOf('x.ts', text)).toEqual([
      { specifier: './a.ts', kind: 'value' },
      { specifier: './b.ts', kind: 'value' },
      { specifier: './c.ts', kind: 'type' },
      { specifier: './d.ts', kind: 'type' },
      { specifier: './f.ts', kind: 'value' },
      { specifier: './side-effect.ts', kind: 'value' },
      { specifier: './h.ts', kind: 'value' },
      { specifier: './i.ts', kind: 'type' },
      { specifier: './j.ts', kind: 'value' },
      { specifier: './k.ts', kind: 'dynamic' },
      { specifier: './l.ts', kind: 'type' },
      { specifier: 'node:net', kind: 'value' },
    ]);
  });

  it('finds cycles of any length, and a module importing itself, and nothing in a chain', () => {
    const g = graphOf({
      'a.ts': ['b.ts'],
      'b.ts': ['c.ts'],
      'c.ts': ['a.ts', 'd.ts'],
      'd.ts': ['e.ts'],
      'e.ts': [],
      'f.ts': ['f.ts'],
      'g.ts': ['h.ts'],
      'h.ts': ['g.ts'],
    });
    expect(importCycles(g)).toEqual([['a.ts', 'b.ts', 'c.ts'], ['f.ts'], ['g.ts', 'h.ts']]);
    expect(describeCycle(g, ['g.ts', 'h.ts'])).toBe('  g.ts -> h.ts (value)\n  h.ts -> g.ts (value)');
    expect(importCycles(graphOf({ 'a.ts': ['b.ts'], 'b.ts': ['c.ts'], 'c.ts': [] }))).toEqual([]);
  });

  it('flags each layer rule it enforces', () => {
    const g = graphOf({
      'client/x.ts': ['broker/y.ts', 'bench/z.ts', 'src/storage/log.ts', 'src/protocol/codec.ts', 'src/errors.ts'],
      'src/a.ts': ['client/x.ts', 'node:net', 'node:fs'],
      'broker/b.ts': ['client/x.ts', 'src/storage/log.ts'],
      'bench/c.ts': ['bin/copyless.js', 'broker/b.ts', 'client/x.ts'],
    });
    expect(layerViolations(g).map((v) => v.split(' (')[0])).toEqual([
      'bench/c.ts -> bin/copyless.js',
      'broker/b.ts -> client/x.ts',
      'client/x.ts -> bench/z.ts',
      'client/x.ts -> broker/y.ts',
      'client/x.ts -> src/storage/log.ts',
      'src/a.ts -> client/x.ts',
      'src/a.ts -> node:net',
    ]);
  });
});

describe('the source tree', () => {
  const graph = readImportGraph(ROOT, SOURCE_DIRS);

  it('is read whole: every relative import resolves to a file, bin/ included', () => {
    const dangling: string[] = [];
    for (const [from, edges] of graph) {
      for (const e of edges) if (e.local && !fs.existsSync(path.join(ROOT, e.to))) dangling.push(`${from} -> ${e.to}`);
    }
    expect(dangling).toEqual([]);
    expect(graph.get('bin/copyless.js')?.map((e) => e.to)).toEqual(expect.arrayContaining(['broker/main.ts', 'bench/main.ts', 'client/cli/main.ts']));
    for (const dir of SOURCE_DIRS) expect([...graph.keys()].some((f) => f.startsWith(`${dir}/`)), dir).toBe(true);
  });

  it('has no import cycle but the known ones being removed', () => {
    const cycles = importCycles(graph);
    const key = (c: readonly string[]) => c.join(' ');
    const known = new Set(KNOWN_CYCLES.map(key));
    const found = new Set(cycles.map(key));
    const fresh = cycles.filter((c) => !known.has(key(c))).map((c) => `cycle:\n${describeCycle(graph, c)}`);
    const gone = KNOWN_CYCLES.filter((c) => !found.has(key(c))).map((c) => `no longer a cycle, delete it from KNOWN_CYCLES: ${key(c)}`);
    expect([...fresh, ...gone]).toEqual([]);
  });

  it('keeps its layers: client/ and broker/ never import each other, src/ imports neither, nothing imports bin/', () => {
    expect(layerViolations(graph)).toEqual([]);
  });
});
