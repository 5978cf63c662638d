import { delimiter, join } from 'node:path';
import { isExecutable } from '../daemon/executable.js';

/** Finds a program on PATH, then in /usr/bin and /usr/sbin where Debian packages put them. */
export function findProgram(name: string): string | undefined {
  const dirs = [...(process.env['PATH'] ?? '').split(delimiter).filter(Boolean), '/usr/bin', '/usr/sbin'];
  for (const dir of dirs) {
    const path = join(dir, name);
    if (isExecutable(path)) return path;
  }
  return undefined;
}
