import { readdirSync, readFileSync } from 'node:fs';

export interface ProcessInfo {
  pid: number;
  command: string;
}

/** Live processes (zombies excepted) whose command line contains `text`: a look at the process table. */
export function processesMatching(text: string): ProcessInfo[] {
  const found: ProcessInfo[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    try {
      const command = readFileSync(`/proc/${name}/cmdline`, 'utf8').replaceAll('\0', ' ').trim();
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
      if (command.includes(text) && state !== 'Z') found.push({ pid: Number(name), command });
    } catch {
      // Gone while we looked.
    }
  }
  return found;
}

/**
 * Resolves once no process matches `text`; rejects, naming them, after `timeoutMs`. A bounded poll: nothing
 * tells this process when unrelated processes die.
 */
export async function whenGone(text: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const left = processesMatching(text);
    if (left.length === 0) return;
    if (Date.now() > deadline) {
      throw new Error(`still running after ${timeoutMs} ms: ${left.map((p) => `${p.pid} ${p.command}`).join('; ')}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Resolves once a process matches `text`; rejects after `timeoutMs`. A bounded poll, as whenGone. */
export async function whenRunning(text: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (processesMatching(text).length === 0) {
    if (Date.now() > deadline) throw new Error(`no process matching ${text} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
