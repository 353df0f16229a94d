// CPU time of another process, read from /proc/<pid>/stat (Linux): utime and
// stime are fields 14 and 15, in clock ticks (USER_HZ, 100 on every common
// Linux build, `getconf CLK_TCK`). The resolution is therefore 10 ms, which is
// why a benchmark samples before and after a whole measurement, never per request.

import fs from 'node:fs';

/** USER_HZ: Linux reports process times in 1/100 s on every architecture Node supports. */
export const CLOCK_TICKS_PER_SEC = 100;

export interface CpuTimes {
  userSec: number;
  systemSec: number;
}

/** The first field after the command name, which is in parentheses and may itself contain spaces or ')'. */
const FIELDS_AFTER_COMM_OFFSET = 3;
const UTIME_FIELD = 14;
const STIME_FIELD = 15;

/** Parse the text of /proc/<pid>/stat; null when it is not in the expected format. */
export function parseProcStat(text: string): CpuTimes | null {
  const close = text.lastIndexOf(')');
  if (close < 0) return null;
  const rest = text.slice(close + 2).trim().split(/\s+/);
  const utime = Number(rest[UTIME_FIELD - FIELDS_AFTER_COMM_OFFSET]);
  const stime = Number(rest[STIME_FIELD - FIELDS_AFTER_COMM_OFFSET]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) return null;
  return { userSec: utime / CLOCK_TICKS_PER_SEC, systemSec: stime / CLOCK_TICKS_PER_SEC };
}

/** CPU time of process `pid` so far, or null when /proc is unavailable (not Linux) or the process is gone. */
export function processCpu(pid: number): CpuTimes | null {
  try {
    return parseProcStat(fs.readFileSync(`/proc/${pid}/stat`, 'latin1'));
  } catch {
    return null;
  }
}

export function cpuDelta(before: CpuTimes | null, after: CpuTimes | null): CpuTimes | null {
  if (!before || !after) return null;
  return { userSec: after.userSec - before.userSec, systemSec: after.systemSec - before.systemSec };
}
