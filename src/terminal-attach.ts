import type { Client } from './client/client.js';
import { pausedNotice } from './paused-notice.js';
import { errorMessage } from './protocol/errors.js';
import type { TerminalInfo } from './protocol/terminal-types.js';

/** Ctrl-]: leaves the terminal running and comes back, as telnet's escape does. */
export const DETACH_KEY = 0x1d;

/** The alternate screen, cleared, with the cursor home: the attach draws on it and leaving restores what was there. */
export const ENTER_SCREEN = '\x1b[?1049h\x1b[H\x1b[2J';
export const LEAVE_SCREEN = '\x1b[?1049l';

/** A real terminal in raw mode, as the attach loop uses it (the CLI's stdin and stdout, or the TUI's borrowed screen). */
export interface RawTerminal {
  /** Its size, or undefined when it is not a terminal (the PTY keeps its size then). */
  size: () => { cols: number; rows: number } | undefined;
  write: (data: string | Uint8Array) => void;
  /** Keys as they arrive; returns the way to stop listening. */
  onInput: (listener: (data: Uint8Array) => void) => () => void;
  onResize: (listener: () => void) => () => void;
}

/** How an attach ended: Ctrl-] (or a key after the program ended), the connection closing, or a call failing. */
export type AttachEnd = { how: 'detached'; ended: boolean } | { how: 'closed' } | { how: 'failed'; message: string };

/**
 * A full-screen raw attach, like `tmux attach`: the scrollback is replayed,
 * then output streams; every key goes to the terminal except Ctrl-], which
 * detaches. The PTY takes the real terminal's size and follows it. When the
 * program has ended, `r` starts it again and any other key leaves. If the
 * daemon drops this client for falling behind, it attaches again and redraws
 * from the scrollback. The caller puts the terminal in raw mode and on the
 * alternate screen, and restores it; the attach stays subscribed (the caller
 * detaches if no one else of its own still watches). While the terminal's node
 * is out of reach, a bar on the top row says so. Rejects only when the
 * first attach fails, before anything was drawn.
 */
export async function rawAttach(client: Client, id: string, screen: RawTerminal): Promise<AttachEnd> {
  let ended = false;
  let finish: (end: AttachEnd) => void = () => undefined;
  const finished = new Promise<AttachEnd>((resolve) => (finish = resolve));
  // A call that fails once the screen is up ends the attach with its message, so the caller can restore the screen first.
  const fail = (error: unknown) => finish({ how: 'failed', message: errorMessage(error) });

  const endedPrompt = (terminal: Pick<TerminalInfo, 'end_reason'>) => {
    ended = true;
    screen.write(
      `\r\n\x1b[7m[cortex: ${terminal.end_reason ?? 'ended'}: press r to run it again, any other key to leave]\x1b[0m\r\n`,
    );
  };
  const attach = async (redraw: boolean) => {
    const { terminal, scrollback } = await client.call('term_attach', { id });
    if (redraw) screen.write('\x1b[H\x1b[2J');
    screen.write(scrollback);
    const size = screen.size();
    if (terminal.status === 'ended') endedPrompt(terminal);
    else if (size) await client.call('term_resize', { id, ...size });
  };

  const offOutput = client.onNotification('term_output', (output) => output.id === id && screen.write(output.data));
  const offExit = client.onNotification('term_exit', (exit) => {
    if (exit.id !== id) return;
    endedPrompt({ end_reason: exit.signal ? `killed by signal ${exit.signal}` : `exited with code ${exit.exit_code}` });
  });
  const offDropped = client.onNotification('term_dropped', (dropped) => {
    if (dropped.id === id) attach(true).catch(fail);
  });
  const topic = `term:${id}`;
  const offPaused = client.onNotification('node_unreachable', (notice) => {
    if (notice.topic === topic) screen.write(pausedBar(pausedNotice(notice), screen.size()?.cols));
  });
  const offResumed = client.onNotification('node_reachable', (notice) => {
    if (notice.topic === topic) screen.write(CLEAR_BAR);
  });
  const offClose = client.onClose(() => finish({ how: 'closed' }));
  const offInput = screen.onInput((chunk) => {
    if (ended) {
      if (chunk[0] === 0x72 /* r */) {
        ended = false;
        client.call('term_restart', { id, ...screen.size() }).catch(fail);
      } else {
        finish({ how: 'detached', ended: true });
      }
      return;
    }
    const at = chunk.indexOf(DETACH_KEY);
    const keys = at === -1 ? chunk : chunk.subarray(0, at);
    if (keys.length > 0) client.call('term_write', { id, data: keys }).catch(fail);
    if (at !== -1) finish({ how: 'detached', ended: false });
  });
  const offResize = screen.onResize(() => {
    const size = screen.size();
    if (!ended && size) client.call('term_resize', { id, ...size }).catch(() => undefined);
  });

  try {
    await attach(false);
    return await finished;
  } finally {
    offOutput();
    offExit();
    offDropped();
    offPaused();
    offResumed();
    offClose();
    offInput();
    offResize();
  }
}

/**
 * A terminal of another node whose node is out of reach: the notice goes on
 * the top row in reverse video, over what the program drew there, and the
 * cursor goes back where the program left it (as mosh's bar does). Its output
 * carries on by itself when the node is back.
 */
function pausedBar(text: string, cols = 80): string {
  const line = `[cortex: ${text}]`.slice(0, cols).padEnd(cols);
  return `\x1b7\x1b[1;1H\x1b[7m${line}\x1b[0m\x1b8`;
}

/** The bar erased when the node is back; the program redraws that row when it next writes it (Ctrl-L redraws now). */
const CLEAR_BAR = '\x1b7\x1b[1;1H\x1b[2K\x1b8';
