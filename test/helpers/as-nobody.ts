import { type CliResult, runCommand } from './cli.js';
import { CORTEX_BIN } from './daemon.js';

/** uid and gid of `nobody`/`nogroup`, the second user the suite runs the CLI as (the suite runs as root). */
export const NOBODY = 65534;

/** setpriv's arguments that make the command it runs `uid`, with the group nogroup and no other groups. */
export function becomeUser(uid = NOBODY): string[] {
  return ['--reuid', String(uid), '--regid', String(NOBODY), '--clear-groups'];
}

/** Runs the real CLI as `uid` through setpriv, so the daemon knows it by SO_PEERCRED. */
export function asUser(uid: number, args: string[], input = ''): Promise<CliResult> {
  return runCommand('setpriv', [...becomeUser(uid), process.execPath, CORTEX_BIN, ...args], {
    cwd: '/',
    env: { HOME: '/nonexistent' },
    input,
  });
}

/** Runs the real CLI as uid 65534, `nobody`. */
export function asNobody(args: string[], input = ''): Promise<CliResult> {
  return asUser(NOBODY, args, input);
}
