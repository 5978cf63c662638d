import { readdirSync, readFileSync } from 'node:fs';

/** What /proc says of one process. */
export interface ProcessEntry {
  pid: number;
  pgid: number;
  /** Clock ticks after boot when it started: with the boot id, tells a process from a later one with its pid. */
  start: number;
  zombie: boolean;
}

/** This boot of the machine: a pid or a start time of an earlier boot means nothing now. */
export function bootId(): string {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    return 'unknown';
  }
}

/** One process from /proc, or undefined when it is gone. */
export function processEntry(pid: number): ProcessEntry | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // "pid (comm) state ppid pgrp ...": comm may hold spaces and parentheses, so fields count from the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { pid, pgid: Number(fields[2]), start: Number(fields[19]), zombie: fields[0] === 'Z' };
}

/** Every process this daemon can see. */
export function allProcesses(): ProcessEntry[] {
  const entries: ProcessEntry[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const entry = processEntry(Number(name));
    if (entry !== undefined) entries.push(entry);
  }
  return entries;
}

/** Whether the process's environment holds `NAME=VALUE` (false when it cannot be read: another user's, or gone). */
export function hasEnvironment(pid: number, assignment: string): boolean {
  let environ: Buffer;
  try {
    environ = readFileSync(`/proc/${pid}/environ`);
  } catch {
    return false;
  }
  const needle = Buffer.from(`${assignment}\0`);
  return environ.subarray(0, needle.length).equals(needle) || environ.includes(Buffer.from(`\0${assignment}\0`));
}
