import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CortexError } from '../../../src/protocol/errors.js';
import type { SystemUser } from '../../identity/system-user.js';
import type { StopTimeouts } from './process-group.js';
import type { ProcessGroups } from './process-groups.js';
import { isExecutable } from '../../executable.js';

/** How both Codex providers find and run the Codex CLI. */
export interface CodexSettings {
  /** The codex binary (config `codex_bin`, then CORTEX_CODEX_BIN, PATH, this package's node_modules). */
  binary: string | undefined;
  /** Extra arguments for every Codex process (config `codex_args`, then CORTEX_CODEX_ARGS, a JSON array). */
  extraArgs: string[];
  env: NodeJS.ProcessEnv;
  stop: StopTimeouts;
  groups: ProcessGroups;
}

/** Codex allows one writer per thread; these are the ways it says another client holds it. */
export const THREAD_BUSY =
  /already (in use|running|active|open)|another (process|client|session|instance)|is locked|locked by|active writer/i;

export const THREAD_BUSY_NOTICE =
  'Another Codex client (the Codex TUI or desktop app) holds this thread; close it there and send the message again.';

export const CODEX_MISSING =
  'The Codex CLI was not found: install @openai/codex, put codex on PATH, or set CORTEX_CODEX_BIN.';

/** Finds the codex binary: explicit setting, then PATH, then the copy this package depends on. */
export function findCodexBinary(explicit: string | undefined, env: NodeJS.ProcessEnv): string | undefined {
  if (explicit) return explicit;
  for (const directory of (env['PATH'] ?? '').split(delimiter).filter(Boolean)) {
    const candidate = join(directory, 'codex');
    if (isExecutable(candidate)) return candidate;
  }
  const bundled = fileURLToPath(new URL('../../../../node_modules/.bin/codex', import.meta.url));
  return isExecutable(bundled) ? bundled : undefined;
}

export function parseCodexArgs(text: string | undefined): string[] {
  if (text === undefined || text === '') return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  if (!Array.isArray(parsed) || !parsed.every((item) => typeof item === 'string')) {
    throw new CortexError(
      'EINVAL',
      'CORTEX_CODEX_ARGS must be a JSON array of strings, such as ["-c","model=\\"o3\\""].',
    );
  }
  return parsed;
}

/**
 * The environment of Codex for a session. As the daemon's own user: the daemon's. As another local user
 * (a root daemon running a user's session; launchAs sets HOME, USER and LOGNAME): no CODEX_HOME, so Codex
 * uses the user's own ~/.codex rather than the daemon's.
 */
export function codexEnv(runAs: SystemUser | undefined, env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  if (runAs === undefined) return env;
  const userEnv = { ...env };
  delete userEnv['CODEX_HOME'];
  return userEnv;
}
