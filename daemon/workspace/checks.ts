import type { CheckResult } from '../../src/protocol/workspace-types.js';
import type { SystemUser } from '../identity/system-user.js';
import { spawnGroup, stopGroup } from '../runtime/providers/process-group.js';

/** The output a check result keeps: its end, where the failures are. */
export const TAIL_BYTES = 8 * 1024;

export interface CheckOptions {
  /** A check still running after this long is stopped (SIGINT, SIGTERM, SIGKILL). */
  timeoutMs: number;
}

/**
 * Runs one check command (`npm test`, a linter) with `sh -c` in the workspace,
 * as its own process group so that stopping it stops what it started. Its
 * output, stdout and stderr as they interleave, is kept as a tail.
 */
export async function runCheck(
  command: string,
  cwd: string,
  options: CheckOptions & { runAs?: SystemUser | undefined; signal?: AbortSignal | undefined },
): Promise<CheckResult> {
  const started = Date.now();
  const startedAt = process.hrtime.bigint();
  const env: NodeJS.ProcessEnv = { ...process.env, CI: process.env['CI'] ?? '1' };
  const group = spawnGroup('/bin/sh', ['-c', command], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] }, options.runAs);
  let tail = Buffer.alloc(0);
  const keep = (chunk: Buffer) => {
    tail = Buffer.concat([tail, chunk]);
    if (tail.length > TAIL_BYTES * 2) tail = tail.subarray(tail.length - TAIL_BYTES);
  };
  group.child.stdout?.on('data', keep);
  group.child.stderr?.on('data', keep);
  let stoppedBecause: string | undefined;
  const stop = (reason: string) => {
    stoppedBecause ??= reason;
    void stopGroup(group, { sigintMs: 1000, sigtermMs: 1000 });
  };
  const timer = setTimeout(() => stop(`it ran longer than ${options.timeoutMs} ms`), options.timeoutMs);
  const onAbort = () => stop('the turn was interrupted');
  options.signal?.addEventListener('abort', onAbort, { once: true });
  if (options.signal?.aborted) onAbort();
  const exit = await group.exited;
  clearTimeout(timer);
  options.signal?.removeEventListener('abort', onAbort);
  let text = tailText(tail);
  if (exit.error) text = `${text}cortex: the check could not start: ${exit.error.message}\n`;
  if (stoppedBecause) text = `${text}cortex: the check was stopped: ${stoppedBecause}\n`;
  return {
    command,
    exit_code: exit.code,
    signal: exit.signal,
    ok: exit.code === 0 && stoppedBecause === undefined,
    duration_ms: Math.round(Number(process.hrtime.bigint() - startedAt) / 1e6),
    started,
    tail: text,
  };
}

/** The last TAIL_BYTES of the output, cut at a line start so no line is half-shown. */
function tailText(bytes: Buffer): string {
  if (bytes.length <= TAIL_BYTES) return bytes.toString('utf8');
  const end = bytes.subarray(bytes.length - TAIL_BYTES);
  const newline = end.indexOf(10);
  return (newline >= 0 && newline < end.length - 1 ? end.subarray(newline + 1) : end).toString('utf8');
}
