import type { Writable } from 'node:stream';

/** What a shell reports for a command killed by SIGPIPE (128 + 13). */
export const SIGPIPE_STATUS = 141;

/**
 * A reader that goes away (`cortex all T | head -1`) ends the command quietly, with
 * the status a shell gives a program killed by SIGPIPE, as `cat` or `seq` would: no
 * stack trace, and no more work for output nobody reads. Node ignores SIGPIPE and
 * reports EPIPE as an error on the stream instead; unheard, it would crash.
 */
export function endQuietlyWhenClosed(stdout: Writable, stderr: Writable, exit: (code: number) => void): void {
  stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') return exit(SIGPIPE_STATUS);
    stderr.write(`cortex: cannot write the output: ${error.code ?? error.message}.\n`);
    exit(1);
  });
  // Nothing can be said about an error writing the errors; the exit code still tells.
  stderr.on('error', () => undefined);
}
