// The import graph of the source tree, read with the TypeScript parser (no
// type checking, so it is fast and sees files tsc would not include, such as
// bin/*.js). Every way one module names another is an edge:
//   import ... from './x.ts'        value import
//   import type ... / import { type A } from './x.ts'   type-only import
//   export ... from './x.ts'        re-export (type-only when `export type`)
//   import('./x.ts')                dynamic import
//   typeof import('./x.ts')         import type in a type position
// Relative specifiers are resolved to repository paths; bare ones (packages,
// node: built-ins) are kept as they are.

import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

export type EdgeKind = 'value' | 'type' | 'dynamic';

export interface ImportEdge {
  /** A repository path ('broker/broker.ts') for a relative specifier, else the bare specifier ('node:net'). */
  to: string;
  kind: EdgeKind;
  /** Whether `to` is a file of the repository (a relative specifier). */
  local: boolean;
}

/** Repository path of a module to the modules it names. */
export type ImportGraph = Map<string, ImportEdge[]>;

const SOURCE_FILE = /\.(ts|js|mjs)$/;

/** The imports one source text makes, specifiers as written. */
export function importsOf(fileName: string, text: string): { specifier: string; kind: EdgeKind }[] {
  const sf = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true);
  const out: { specifier: string; kind: EdgeKind }[] = [];
  const visit = (n: ts.Node): void => {
    if (ts.isImportDeclaration(n) && ts.isStringLiteral(n.moduleSpecifier)) {
      out.push({ specifier: n.moduleSpecifier.text, kind: isTypeOnlyImport(n) ? 'type' : 'value' });
    } else if (ts.isExportDeclaration(n) && n.moduleSpecifier && ts.isStringLiteral(n.moduleSpecifier)) {
      out.push({ specifier: n.moduleSpecifier.text, kind: n.isTypeOnly ? 'type' : 'value' });
    } else if (ts.isCallExpression(n) && n.expression.kind === ts.SyntaxKind.ImportKeyword) {
      const arg = n.arguments[0];
      if (arg && ts.isStringLiteralLike(arg)) out.push({ specifier: arg.text, kind: 'dynamic' });
    } else if (ts.isImportTypeNode(n) && ts.isLiteralTypeNode(n.argument) && ts.isStringLiteral(n.argument.literal)) {
      out.push({ specifier: n.argument.literal.text, kind: 'type' });
    }
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return out;
}

function isTypeOnlyImport(n: ts.ImportDeclaration): boolean {
  const clause = n.importClause;
  if (!clause) return false; // import './x.ts': a side effect, so a value import
  if (clause.isTypeOnly) return true;
  if (clause.name) return false;
  const named = clause.namedBindings;
  return named !== undefined && ts.isNamedImports(named) && named.elements.length > 0 && named.elements.every((e) => e.isTypeOnly);
}

/** Every source file under `dirs` (relative to `root`) and what it imports. */
export function readImportGraph(root: string, dirs: readonly string[]): ImportGraph {
  const graph: ImportGraph = new Map();
  const walk = (dir: string): void => {
    for (const e of fs.readdirSync(path.join(root, dir), { withFileTypes: true })) {
      const rel = path.posix.join(dir, e.name);
      if (e.isDirectory()) walk(rel);
      else if (SOURCE_FILE.test(e.name)) graph.set(rel, edgesOf(root, rel));
    }
  };
  for (const d of dirs) if (fs.existsSync(path.join(root, d))) walk(d);
  return graph;
}

function edgesOf(root: string, file: string): ImportEdge[] {
  return importsOf(file, fs.readFileSync(path.join(root, file), 'utf8')).map(({ specifier, kind }) => {
    if (!specifier.startsWith('.')) return { to: specifier, kind, local: false };
    return { to: path.posix.normalize(path.posix.join(path.posix.dirname(file), specifier)), kind, local: true };
  });
}

/**
 * The import cycles: each strongly connected component of more than one
 * module (or a module that imports itself), as sorted module lists, sorted.
 * Tarjan's algorithm.
 */
export function importCycles(graph: ImportGraph): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const out: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next);
    next++;
    stack.push(v);
    onStack.add(v);
    for (const { to: w } of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, index.get(w)!));
      }
    }
    if (low.get(v) !== index.get(v)) return;
    const component: string[] = [];
    let w: string;
    do {
      w = stack.pop()!;
      onStack.delete(w);
      component.push(w);
    } while (w !== v);
    const selfImport = (graph.get(v) ?? []).some((e) => e.to === v);
    if (component.length > 1 || selfImport) out.push(component.sort());
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return out.sort((a, b) => a[0].localeCompare(b[0]));
}

/** The edges inside one cycle, for a failure message: `a.ts -> b.ts (type)`. */
export function describeCycle(graph: ImportGraph, cycle: readonly string[]): string {
  const members = new Set(cycle);
  const lines: string[] = [];
  for (const from of cycle) {
    for (const e of graph.get(from) ?? []) if (members.has(e.to)) lines.push(`  ${from} -> ${e.to} (${e.kind})`);
  }
  return [...new Set(lines)].join('\n');
}
