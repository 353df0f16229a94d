// kcat (librdkafka) as a child process for compatibility tests. Asynchronous:
// the broker under test lives in the test's own process, so a blocking spawn
// would starve it. Set KCAT_DEBUG=1 to see librdkafka's protocol log.

import { spawn, spawnSync } from 'node:child_process';

export const kcatFound = spawnSync('kcat', ['-V'], { encoding: 'utf8' }).status === 0;
/** A describe() title suffix saying why the suite is skipped. */
export const kcatSkipReason = kcatFound ? '' : ' [skipped: kcat is not installed]';

export interface KcatResult {
  stdout: string;
  stderr: string;
  status: number | null;
}

export function kcat(address: string, args: string[], input = '', o: { timeoutMs?: number } = {}): Promise<KcatResult> {
  return new Promise((resolve) => {
    const debug = process.env.KCAT_DEBUG ? ['-d', 'protocol,broker,msg,eos'] : [];
    const child = spawn('kcat', ['-b', address, ...debug, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), o.timeoutMs ?? 20_000);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ stdout, stderr, status });
    });
    child.stdin.end(input);
  });
}
