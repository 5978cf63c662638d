import { type ChildProcess, spawn, type SpawnOptions } from 'node:child_process';
import { launchAs } from '../../identity/run-as.js';
import type { SystemUser } from '../../identity/system-user.js';

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** How a process ended: its exit, or `error` when it could not start. */
export type Ended = Exit & { error?: NodeJS.ErrnoException };

export interface GroupChild {
  child: ChildProcess;
  /** Settles when the process has exited (or failed to start, with `error`). */
  exited: Promise<Ended>;
}

/**
 * Starts a process as the leader of its own process group, so everything it
 * starts can be signalled together; as `runAs` when given (see launchAs).
 */
export function spawnGroup(
  command: string,
  args: readonly string[],
  options: SpawnOptions,
  runAs?: SystemUser,
): GroupChild {
  const launch = launchAs(runAs, command, args, options.env ?? process.env);
  const child = spawn(launch.command, launch.args, { ...options, env: launch.env, detached: true });
  const exited = new Promise<Ended>((resolve) => {
    child.once('error', (error: NodeJS.ErrnoException) => resolve({ code: null, signal: null, error }));
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  return { child, exited };
}

export interface StopTimeouts {
  /** How long SIGINT gets before SIGTERM. */
  sigintMs: number;
  /** How long SIGTERM gets before SIGKILL. */
  sigtermMs: number;
}

/**
 * Stops a process group the way a person at a terminal would: Ctrl-C (SIGINT),
 * then SIGTERM, then SIGKILL, each after a timeout. Resolves once it exited.
 */
export async function stopGroup(group: GroupChild, timeouts: StopTimeouts): Promise<void> {
  const { child, exited } = group;
  if (child.pid === undefined) return;
  for (const [signal, waitMs] of [
    ['SIGINT', timeouts.sigintMs],
    ['SIGTERM', timeouts.sigtermMs],
    ['SIGKILL', 0],
  ] as const) {
    if (child.exitCode !== null || child.signalCode !== null) break;
    try {
      process.kill(-child.pid, signal);
    } catch {
      break;
    }
    if (waitMs === 0) break;
    const timedOut = await Promise.race([
      exited.then(() => false),
      new Promise<boolean>((resolve) => setTimeout(() => resolve(true), waitMs).unref()),
    ]);
    if (!timedOut) break;
  }
  await exited;
}
