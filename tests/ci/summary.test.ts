// Proves the CI summary: skipped tests are counted and named (their names carry the reason) on lines before the last one, which keeps the exact format CI reads, `tests: N passed, N failed`, counting a suite that failed to load as a failure.
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs script without type declarations
import { summaryLines } from '../../.ci/summary.mjs';

describe('.ci/summary.mjs', () => {
  it('names and counts what was skipped, then ends with the passed/failed line', () => {
    const lines: string[] = summaryLines({
      numPassedTests: 40,
      numFailedTests: 1,
      numPendingTests: 2,
      numTodoTests: 0,
      testResults: [
        { status: 'passed', assertionResults: [{ status: 'skipped', ancestorTitles: ['kcat (librdkafka) [skipped: kcat is not installed]'], title: 'produces' }, { status: 'passed', ancestorTitles: [], title: 'x' }] },
        { status: 'passed', assertionResults: [{ status: 'pending', ancestorTitles: ['native sendSequence (skipped: native addon unavailable: disabled)'], title: 'sends' }] },
        { status: 'failed', assertionResults: [] },
      ],
    });
    expect(lines).toEqual([
      'skipped 2:',
      '  - kcat (librdkafka) [skipped: kcat is not installed] > produces',
      '  - native sendSequence (skipped: native addon unavailable: disabled) > sends',
      'tests skipped: 2',
      'tests: 40 passed, 2 failed',
    ]);
  });

  it('says when nothing was skipped', () => {
    expect(summaryLines({ numPassedTests: 3, numFailedTests: 0, testResults: [] })).toEqual(['tests skipped: 0', 'tests: 3 passed, 0 failed']);
  });
});
