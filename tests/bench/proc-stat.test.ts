// Proves /proc/<pid>/stat parsing finds utime and stime after a command name containing spaces and parentheses, and converts clock ticks to seconds.
import { describe, expect, it } from 'vitest';
import { cpuDelta, parseProcStat, processCpu } from '../../bench/proc-stat.ts';

// Fields after the command: state(3) ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime(14) stime(15) ...
const line = (comm: string, utime: number, stime: number) => `4242 (${comm}) S 1 4242 4242 0 -1 4194560 100 0 0 0 ${utime} ${stime} 0 0 20 0 1 0 5 1000 10`;

describe('parseProcStat', () => {
  it('reads utime and stime in 1/100 s', () => {
    expect(parseProcStat(line('node', 250, 40))).toEqual({ userSec: 2.5, systemSec: 0.4 });
  });

  it('is not fooled by spaces and parentheses in the command name', () => {
    expect(parseProcStat(line('my (odd) proc', 7, 3))).toEqual({ userSec: 0.07, systemSec: 0.03 });
  });

  it('returns null for text in another format', () => {
    expect(parseProcStat('garbage')).toBeNull();
    expect(parseProcStat('1 (x) S 1')).toBeNull();
  });

  it('subtracts two readings and passes a missing one through as null', () => {
    expect(cpuDelta({ userSec: 1, systemSec: 1 }, { userSec: 3, systemSec: 1.5 })).toEqual({ userSec: 2, systemSec: 0.5 });
    expect(cpuDelta(null, { userSec: 1, systemSec: 1 })).toBeNull();
  });

  it.runIf(process.platform === 'linux')('reads this process from /proc, and null for a process that does not exist', () => {
    expect(processCpu(process.pid)).not.toBeNull();
    expect(processCpu(2 ** 30)).toBeNull();
  });
});
