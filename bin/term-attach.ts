import type { ReadStream, WriteStream } from 'node:tty';
import type { Client } from '../src/client/client.js';
import { CortexError, errorCode } from '../src/protocol/errors.js';
import { type AttachEnd, ENTER_SCREEN, LEAVE_SCREEN, rawAttach } from '../src/terminal-attach.js';
import type { CliContext } from './context.js';

/**
 * `cortex term attach ID`: a full-screen raw attach like `tmux attach` (see
 * rawAttach, which the TUI's full screen shares). The real terminal goes to
 * raw mode on the alternate screen, the window size follows it (SIGWINCH),
 * and Ctrl-] detaches, leaving the terminal running.
 */
export async function attachTerminal(context: CliContext, client: Client, id: string): Promise<number> {
  const stdin = context.stdin as ReadStream;
  const stdout = context.stdout as WriteStream;
  const tty = stdin.isTTY === true && stdout.isTTY === true;
  if (tty) {
    stdin.setRawMode(true);
    stdout.write(ENTER_SCREEN);
  }
  let end: AttachEnd;
  try {
    end = await rawAttach(client, id, {
      size: () => (tty ? { cols: Math.max(1, stdout.columns || 80), rows: Math.max(1, stdout.rows || 24) } : undefined),
      write: (data) => stdout.write(data),
      onInput: (listener) => {
        stdin.on('data', listener);
        stdin.resume();
        return () => {
          stdin.off('data', listener);
          stdin.pause();
        };
      },
      onResize: (listener) => {
        stdout.on('resize', listener);
        return () => stdout.off('resize', listener);
      },
    });
  } catch (error) {
    restore(stdin, stdout, tty);
    throw errorCode(error) === undefined ? new CortexError('EINTERNAL', String(error)) : error;
  }
  if (end.how === 'closed') stdout.write('\r\n[cortex: the connection to the daemon closed]\r\n');
  if (end.how === 'failed') stdout.write(`\r\n[cortex: ${end.message}]\r\n`);
  if (client.state === 'open') await client.call('term_detach', { id }).catch(() => undefined);
  restore(stdin, stdout, tty);
  if (end.how === 'detached') context.stderr.write(`[detached from ${id}${end.ended ? '' : ', still running'}]\n`);
  return end.how === 'detached' ? 0 : end.how === 'closed' ? 7 : 1;
}

function restore(stdin: ReadStream, stdout: WriteStream, tty: boolean): void {
  if (!tty) return;
  stdout.write(LEAVE_SCREEN);
  stdin.setRawMode(false);
}
