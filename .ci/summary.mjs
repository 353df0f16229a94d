// The end of a CI run: reads vitest's JSON results and prints what was
// skipped (count and names: a skipped suite carries its reason in its name),
// then the one line CI reads, always last: `tests: N passed, N failed`.
// A suite that failed to load (no test ran in it) counts as one failure.
//
//   node .ci/summary.mjs RESULTS.json
//
// Exit code 0; the caller decides the run's status.

import fs from 'node:fs';
import { pathToFileURL } from 'node:url';

/** Skipped test names listed before the count lines get too long to read. */
const SKIPPED_NAMES_MAX = 20;

/** The lines to print for one vitest JSON result object (jest-compatible shape). */
export function summaryLines(r) {
  const files = r.testResults ?? [];
  const failed = (r.numFailedTests ?? 0) + (r.numRuntimeErrorTestSuites ?? 0) + files.filter((f) => f.status === 'failed' && (f.assertionResults ?? []).length === 0).length;
  const skippedTests = files.flatMap((f) => (f.assertionResults ?? []).filter((a) => a.status === 'pending' || a.status === 'skipped' || a.status === 'todo'));
  const skipped = (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
  const lines = [];
  if (skipped > 0) {
    const names = [...new Set(skippedTests.map((a) => (a.ancestorTitles ?? []).concat(a.title ?? []).join(' > ')))];
    lines.push(`skipped ${skipped}:`);
    for (const n of names.slice(0, SKIPPED_NAMES_MAX)) lines.push(`  - ${n}`);
    if (names.length > SKIPPED_NAMES_MAX) lines.push(`  ... and ${names.length - SKIPPED_NAMES_MAX} more`);
  }
  lines.push(`tests skipped: ${skipped}`);
  lines.push(`tests: ${r.numPassedTests ?? 0} passed, ${failed} failed`);
  return lines;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const results = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
  for (const line of summaryLines(results)) console.log(line);
}
