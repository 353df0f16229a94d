// Proves `copyless bench` argument handling: defaults, --quick's single repeat, limits always first, and typed refusals of unknown scenarios and bad values.
import { CommanderError } from 'commander';
import { describe, expect, it } from 'vitest';
import { parseBenchArgs, selectScenarios } from '../../bench/main.ts';
import { CopylessError } from '../../src/errors.ts';

const quiet = { write() {} };

describe('parseBenchArgs', () => {
  it('runs every scenario three times by default, limits first', () => {
    const o = parseBenchArgs([], quiet);
    expect(o.scenarios.map((s) => s.name)).toEqual(['limits', 'produce', 'consume', 'catch-up', 'latency', 'responsiveness', 'defaults']);
    expect(o).toMatchObject({ quick: false, repeats: 3, broker: null, json: null, report: null, progress: true });
  });

  it('uses one repeat with --quick unless --repeats says otherwise', () => {
    expect(parseBenchArgs(['all', '--quick'], quiet).repeats).toBe(1);
    expect(parseBenchArgs(['all', '--quick', '--repeats', '2'], quiet).repeats).toBe(2);
  });

  it('takes the output files, the broker and --no-progress', () => {
    const o = parseBenchArgs(['produce', '--json', 'o.json', '--report', 'o.html', '--broker', 'localhost:9092', '--no-progress'], quiet);
    expect(o).toMatchObject({ json: 'o.json', report: 'o.html', broker: 'localhost:9092', progress: false });
  });

  it('refuses bad repeats and broker addresses with a usage error naming the option', () => {
    let out = '';
    const capture = { write: (s: string) => (out += s) };
    expect(() => parseBenchArgs(['--repeats', '0'], capture)).toThrow(CommanderError);
    expect(out).toContain('repeats must be an integer');
    expect(() => parseBenchArgs(['--broker', 'nohostport'], capture)).toThrow(CommanderError);
    expect(out).toContain('broker must be host:port');
  });
});

describe('selectScenarios', () => {
  it('keeps the fixed order and always measures the ceilings first', () => {
    expect(selectScenarios(['latency', 'produce']).map((s) => s.name)).toEqual(['limits', 'produce', 'latency']);
    expect(selectScenarios(['limits']).map((s) => s.name)).toEqual(['limits']);
  });

  it('refuses an unknown scenario with INVALID_CONFIG naming it', () => {
    try {
      selectScenarios(['produce', 'warp']);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(CopylessError);
      expect((e as CopylessError).errorName).toBe('INVALID_CONFIG');
      expect((e as Error).message).toContain('"warp"');
    }
  });
});
