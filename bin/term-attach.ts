import type { ReadStream, WriteStream } from 'node:tty';
import type { Client } from '../src/client/client.js';
import { CortexError } from '../src/protocol/errors.js';
import type { TermExit, TermOutput, TerminalInfo } from '../src/protocol/terminal-types.js';
import type { CliContext } from './context.js';

/** Ctrl-]: leaves the terminal running and returns to the shell, as telnet's escape does. */
export const DETACH_KEY = 0x1d;

const ENTER_SCREEN = '\x1b[?1049h\x1b[H\x1b[2J';
const LEAVE_SCREEN = '\x1b[?1049l';

/**
 * `cortex term attach ID`: a full-screen raw attach like `tmux attach`. The
 * real terminal goes to raw mode on the alternate screen; the scrollback is
 * replayed, then output streams; every key goes to the terminal except
 * Ctrl-], which detaches. The window size follows the real terminal
 * (SIGWINCH). When the program has ended, `r` starts it again and any other
 * key leaves. If the daemon drops this client for falling behind, it attaches
 * again and redraws from the scrollback.
 */
export async function attachTerminal(context: CliContext, client: Client, id: string): Promise<number> {
  const stdin = context.stdin as ReadStream;
  const stdout = context.stdout as WriteStream;
  const tty = stdin.isTTY === true && stdout.isTTY === true;
  let ended = false;
  let finish: (code: number) => void = () => undefined;
  const finished = new Promise<number>((resolve) => (finish = resolve));

  const size = () => ({ cols: Math.max(1, stdout.columns || 80), rows: Math.max(1, stdout.rows || 24) });
  const endedPrompt = (terminal: Pick<TerminalInfo, 'end_reason'>) => {
    ended = true;
    stdout.write(
      `\r\n\x1b[7m[cortex: ${terminal.end_reason ?? 'ended'}: press r to run it again, any other key to leave]\x1b[0m\r\n`,
    );
  };
  const attach = async (redraw: boolean) => {
    const { terminal, scrollback } = await client.call('term_attach', { id });
    if (redraw) stdout.write('\x1b[H\x1b[2J');
    stdout.write(scrollback);
    if (terminal.status === 'ended') endedPrompt(terminal);
    else if (tty) await client.call('term_resize', { id, ...size() });
  };
  const fail = (error: unknown) => {
    stdout.write(`\r\n[cortex: ${error instanceof Error ? error.message : String(error)}]\r\n`);
    finish(1);
  };

  const offNotification = client.onNotification((method, params) => {
    if (method === 'term_output' && (params as unknown as TermOutput).id === id) {
      stdout.write((params as unknown as TermOutput).data);
    } else if (method === 'term_exit' && (params as unknown as TermExit).id === id) {
      const exit = params as unknown as TermExit;
      endedPrompt({
        end_reason: exit.signal ? `killed by signal ${exit.signal}` : `exited with code ${exit.exit_code}`,
      });
    } else if (method === 'term_dropped' && (params as { id?: unknown }).id === id) {
      attach(true).catch(fail);
    }
  });
  const offClose = client.onClose(() => {
    stdout.write('\r\n[cortex: the connection to the daemon closed]\r\n');
    finish(7);
  });

  const onKeys = (chunk: Buffer) => {
    if (ended) {
      if (chunk[0] === 0x72 /* r */) {
        ended = false;
        client.call('term_restart', { id, ...(tty ? size() : {}) }).catch(fail);
      } else {
        finish(0);
      }
      return;
    }
    const at = chunk.indexOf(DETACH_KEY);
    const keys = at === -1 ? chunk : chunk.subarray(0, at);
    if (keys.length > 0) client.call('term_write', { id, data: keys }).catch(fail);
    if (at !== -1) finish(0);
  };
  const onResize = () => {
    if (!ended) client.call('term_resize', { id, ...size() }).catch(() => undefined);
  };

  if (tty) {
    stdin.setRawMode(true);
    stdout.write(ENTER_SCREEN);
  }
  try {
    await attach(false);
  } catch (error) {
    restore(stdin, stdout, tty);
    throw error instanceof CortexError ? error : new CortexError('EINTERNAL', String(error));
  }
  stdin.on('data', onKeys);
  stdin.resume();
  stdout.on('resize', onResize);
  const code = await finished;
  offNotification();
  offClose();
  stdin.off('data', onKeys);
  stdout.off('resize', onResize);
  stdin.pause();
  if (client.state === 'open') await client.call('term_detach', { id }).catch(() => undefined);
  restore(stdin, stdout, tty);
  if (code === 0) context.stderr.write(`[detached from ${id}${ended ? '' : ', still running'}]\n`);
  return code;
}

function restore(stdin: ReadStream, stdout: WriteStream, tty: boolean): void {
  if (!tty) return;
  stdout.write(LEAVE_SCREEN);
  stdin.setRawMode(false);
}
