import { execFileSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { findProgram } from './programs.js';

/**
 * Where the servers (daemon, redis-server) and the clients (this process,
 * redis-benchmark) run. On this kind of VM a request/response round trip costs
 * ~15 µs when both ends share a core and ~45 µs when the wake-up crosses cores,
 * and the scheduler picks one or the other at random: unpinned, sequential
 * figures (Redis's too) jump between two modes from run to run. Pinning makes
 * every run, and every store, use the same placement.
 *
 * - split (default): servers on CPU 0, clients on CPU 1; one core each, as two busy processes get anyway.
 * - same: everything on CPU 0; the best case for round trips, the worst for pipelining.
 * - off: the scheduler decides.
 */
export type PinMode = 'split' | 'same' | 'off';

export interface Placement {
  mode: PinMode;
  serverCpu?: number | undefined;
  clientCpu?: number | undefined;
  description: string;
}

export function choosePlacement(): Placement {
  const raw = process.env['BENCH_PIN'] ?? 'split';
  if (raw !== 'split' && raw !== 'same' && raw !== 'off') {
    throw new Error(`BENCH_PIN must be split, same or off, not ${JSON.stringify(raw)}.`);
  }
  if (raw === 'off') return { mode: 'off', description: 'not pinned (BENCH_PIN=off)' };
  if (findProgram('taskset') === undefined) {
    return { mode: 'off', description: 'not pinned: taskset (util-linux) is missing' };
  }
  if (raw === 'split' && availableParallelism() < 2) {
    return { mode: 'off', description: 'not pinned: one core only' };
  }
  return raw === 'split'
    ? { mode: raw, serverCpu: 0, clientCpu: 1, description: 'servers on CPU 0, clients on CPU 1 (BENCH_PIN=split)' }
    : { mode: raw, serverCpu: 0, clientCpu: 0, description: 'servers and clients all on CPU 0 (BENCH_PIN=same)' };
}

/**
 * Pins every thread of a running process (-a: V8's and libuv's threads too) to
 * one CPU, or to a taskset list such as `0-1`.
 * False when taskset refused (a CPU that is offline, a restricted container):
 * the bench still runs, and the report says so.
 */
export function pin(pid: number, cpus: number | string | undefined): boolean {
  if (cpus === undefined) return true;
  try {
    execFileSync(findProgram('taskset')!, ['-a', '-p', '-c', String(cpus), String(pid)], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** The CPUs a process may run on now, as a taskset list (`0-1`); undefined without taskset. */
export function cpuList(pid: number): string | undefined {
  const taskset = findProgram('taskset');
  if (taskset === undefined) return undefined;
  try {
    const out = execFileSync(taskset, ['-c', '-p', String(pid)], { encoding: 'utf8' });
    return /list:\s*(\S+)/.exec(out)?.[1];
  } catch {
    return undefined;
  }
}
