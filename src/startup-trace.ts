import { appendFileSync } from 'node:fs';

/**
 * `CORTEX_TUI_TRACE=FILE` makes `cortex tui` append a line per step of its
 * start and per frame it draws: the step, milliseconds since the process began
 * and the CPU milliseconds it has used by then (user and system), tab-separated.
 * CPU time is what tells where the start goes on a machine shared with other
 * work, where the wall clock mostly measures waiting for a core; bench/tui.ts
 * reads it. Written synchronously, so a line is there even if the TUI dies.
 */
const traceFile = process.env['CORTEX_TUI_TRACE'] || undefined;

export function traceStep(step: string): void {
  if (traceFile === undefined) return;
  const cpu = process.cpuUsage();
  const cpuMs = (cpu.user + cpu.system) / 1000;
  appendFileSync(traceFile, `${step}\t${performance.now().toFixed(2)}\t${cpuMs.toFixed(2)}\n`);
}
