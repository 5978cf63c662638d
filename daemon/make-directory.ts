import { mkdirSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { CortexError } from '../src/protocol/errors.js';

/**
 * `mkdir -p` that fails with a sentence. Node's own recursive mkdirSync never
 * returns for a path under /proc (mkdir answers ENOENT there even though the
 * parent exists, and it retries forever): a daemon started with `--home
 * /proc/nope` spun at full CPU instead of saying why it could not start.
 */
export function makeDirectory(path: string, mode: number): void {
  const created = tryMkdir(path, mode);
  if (created === 'ENOENT') {
    const parent = dirname(path);
    if (parent !== path) makeDirectory(parent, mode);
    const again = tryMkdir(path, mode);
    if (again !== undefined) throw cannotCreate(path, again);
  } else if (created !== undefined) {
    throw cannotCreate(path, created);
  }
}

/** undefined once the directory exists, else the error code. */
function tryMkdir(path: string, mode: number): string | undefined {
  try {
    mkdirSync(path, { mode });
    return undefined;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'EIO';
    if (code === 'EEXIST') return statSync(path).isDirectory() ? undefined : 'ENOTDIR';
    return code;
  }
}

function cannotCreate(path: string, code: string): CortexError {
  return new CortexError(
    code === 'EACCES' || code === 'EPERM' ? 'EACCES' : 'EINVAL',
    `Cannot create the directory ${path} (${code}).`,
  );
}
