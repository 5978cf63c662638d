import { useCallback, useState } from 'react';
import type { Client } from '../../../src/client/client.js';
import { errorMessage } from '../../../src/protocol/errors.js';
import { type AttachEnd, ENTER_SCREEN, LEAVE_SCREEN, rawAttach } from '../../../src/terminal-attach.js';
import { type RawScreen, useScreen } from '../../state/screen.js';

export interface FullScreen {
  /** A terminal has the whole real terminal now. */
  active: boolean;
  /** Gives terminal `id` the whole real terminal until Ctrl-]. */
  enter: (client: Client, id: string) => void;
}

/** Ink hides the cursor; the program in the terminal needs it (and hides it itself when it wants). */
const SHOW_CURSOR = '\x1b[?25h';
const HIDE_CURSOR = '\x1b[?25l';

/**
 * Full screen: the real terminal is taken from Ink (which stops drawing and
 * reading keys) and lent to the terminal through the same raw attach as
 * `cortex term attach`; Ctrl-] gives it back, and Ink draws its frame again.
 */
export function useFullScreen(notify: (text: string) => void): FullScreen {
  const screen = useScreen();
  const [active, setActive] = useState(false);

  const enter = useCallback(
    (client: Client, id: string) => {
      const raw = screen.takeOver();
      if (!raw) return;
      setActive(true);
      raw.write(ENTER_SCREEN + SHOW_CURSOR);
      rawAttach(client, id, adapt(raw))
        .then(
          (end) => notify(endNotice(id, end)),
          (error: unknown) => notify(errorMessage(error)),
        )
        .finally(() => {
          raw.write(HIDE_CURSOR + LEAVE_SCREEN);
          setActive(false);
          raw.release();
        });
    },
    [screen, notify],
  );

  return { active, enter };
}

/** The borrowed screen as the attach loop takes it: keys as bytes (Ink has set stdin to UTF-8 text). */
function adapt(raw: RawScreen) {
  return {
    size: () => ({ cols: Math.max(1, raw.columns), rows: Math.max(1, raw.rows) }),
    write: raw.write,
    onInput: (listener: (data: Uint8Array) => void) => raw.onInput((data) => listener(Buffer.from(data, 'utf8'))),
    onResize: raw.onResize,
  };
}

function endNotice(id: string, end: AttachEnd): string {
  if (end.how === 'closed') return 'The connection to the daemon closed.';
  if (end.how === 'failed') return end.message;
  return `back from ${id}${end.ended ? '' : ', still running'}`;
}
