import { renameSync, writeFileSync } from 'node:fs';

/** Writes a file so that a reader (or a crash) sees either the old content or the new, never half. */
export function writeFileAtomic(path: string, data: string | Uint8Array, mode = 0o644): void {
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, data, { mode });
  renameSync(temporary, path);
}
