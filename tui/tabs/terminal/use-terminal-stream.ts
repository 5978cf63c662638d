import { useCallback, useEffect, useRef, useState } from 'react';
import type { Client } from '../../../src/client/client.js';
import { errorMessage } from '../../../src/protocol/errors.js';
import type { TermExit, TerminalInfo } from '../../../src/protocol/terminal-types.js';
import { createEmulator, type Emulator } from './emulator.js';
import type { KeyModes } from './key-bytes.js';
import { type ScreenSnapshot, snapshot } from './screen-snapshot.js';

/** At most ~30 frames a second however fast output comes: a 20 MB burst is parsed, not drawn chunk by chunk. */
const FRAME_MS = 33;

export interface StreamOptions {
  client: Client | undefined;
  /** Grows on every reconnection: the terminal is attached again on the new connection. */
  generation: number;
  id: string | undefined;
  /** Attached only while someone looks: the tab shown, or full screen. */
  attached: boolean;
  cols: number;
  rows: number;
  /** Replies the emulator makes to a program's queries go out only while the keyboard is here, so two viewers do not both answer. */
  focused: boolean;
  /** While full screen owns the terminal's size, the pane's size is not sent. */
  holdSize: boolean;
}

export interface TerminalStream {
  /** The terminal as term_attach (then term_exit) described it; undefined until attached. */
  info: TerminalInfo | undefined;
  /** The emulator's screen, redrawn at most ~30 times a second. */
  screen: ScreenSnapshot | undefined;
  error: string | undefined;
  /** Sends bytes to the program (keys). */
  write: (data: string) => Promise<void>;
  /** The emulator's modes that change what keys send. */
  modes: () => KeyModes;
  /** Runs an ended terminal's command again, at the pane's size. */
  restart: () => Promise<void>;
}

/**
 * Keeps one terminal attached while wanted and its screen in a headless
 * xterm: the scrollback first, then term_output as it streams. A term_dropped
 * (this client fell behind) or a reconnection attaches again and redraws from
 * the scrollback; switching terminals or hiding the tab detaches.
 */
export function useTerminalStream(options: StreamOptions): TerminalStream {
  const { client, generation, id, attached, cols, rows } = options;
  const [info, setInfo] = useState<TerminalInfo | undefined>(undefined);
  const [screen, setScreen] = useState<ScreenSnapshot | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  const [drops, setDrops] = useState(0);
  const emulator = useRef<Emulator | undefined>(undefined);
  /** The PTY's size as last known (from term_attach, or sent); undefined after full screen changed it. */
  const ptySize = useRef<{ cols: number; rows: number } | undefined>(undefined);
  // Read by callbacks that outlive a render: the latest size and focus, not those of the attach.
  const latest = useRef(options);
  latest.current = options;

  useEffect(() => {
    if (!client || !id || !attached) return;
    const current = createEmulator(latest.current.cols, latest.current.rows);
    emulator.current = current;
    const frames = frameScheduler(() => setScreen(draw(current, latest.current.focused)));
    setError(undefined);
    const detach = attachEmulator(client, id, current, {
      answersQueries: () => latest.current.focused,
      parsed: frames.schedule,
      attached: (terminal) => {
        ptySize.current = { cols: terminal.cols, rows: terminal.rows };
        setInfo(terminal);
      },
      exited: (exit) => setInfo((shown) => shown && ended(shown, exit)),
      dropped: () => setDrops((count) => count + 1),
      failed: (failure) => setError(errorMessage(failure)),
    });
    return () => {
      emulator.current = undefined;
      detach();
      frames.cancel();
      current.dispose();
    };
  }, [client, generation, id, attached, drops]);

  // A new terminal starts blank, not with the last one's screen.
  useEffect(() => {
    setInfo(undefined);
    setScreen(undefined);
  }, [id]);

  useEffect(() => {
    const current = emulator.current;
    if (!current || (current.terminal.cols === cols && current.terminal.rows === rows)) return;
    current.terminal.resize(cols, rows);
    setScreen(draw(current, latest.current.focused));
  }, [cols, rows]);

  // The cursor is drawn only while the keyboard is here.
  const { focused } = options;
  useEffect(() => {
    if (emulator.current) setScreen(draw(emulator.current, focused));
  }, [focused]);

  // The PTY follows the pane (its program redraws for the new size), except while full screen holds it.
  const running = info?.status === 'running';
  const { holdSize } = options;
  useEffect(() => {
    if (holdSize) {
      ptySize.current = undefined;
      return;
    }
    if (!client || !id || !running) return;
    if (ptySize.current?.cols === cols && ptySize.current.rows === rows) return;
    ptySize.current = { cols, rows };
    client.call('term_resize', { id, cols, rows }).catch(() => undefined);
  }, [client, id, running, info, cols, rows, holdSize]);

  const write = useCallback(
    async (data: string) => {
      if (client && id) await client.call('term_write', { id, data });
    },
    [client, id],
  );
  const modes = useCallback(
    (): KeyModes => ({ applicationCursor: emulator.current?.terminal.modes.applicationCursorKeysMode ?? false }),
    [],
  );
  const restart = useCallback(async () => {
    if (!client || !id) return;
    const { terminal } = await client.call('term_restart', { id, cols, rows });
    setInfo(terminal);
  }, [client, id, cols, rows]);

  return { info, screen, error, write, modes, restart };
}

/** What an attached emulator tells its owner. */
interface AttachEvents {
  /** Whether replies to a program's queries (cursor position, device attributes) go out now. */
  answersQueries: () => boolean;
  /** The emulator parsed more output: time for a frame. */
  parsed: () => void;
  attached: (terminal: TerminalInfo) => void;
  exited: (exit: TermExit) => void;
  /** The daemon stopped streaming to this client: attach again. */
  dropped: () => void;
  failed: (error: unknown) => void;
}

/**
 * Attaches `id` and feeds its scrollback, then its output, into the
 * emulator; returns the way to detach. Output that arrives before the
 * attach's answer is handled waits: its notifications can be read in the same
 * chunk as the answer and so run before the answer's callback does, and as
 * this is a new subscription all of it follows the scrollback.
 */
function attachEmulator(client: Client, id: string, emulator: Emulator, events: AttachEvents): () => void {
  const term = emulator.terminal;
  let early: Uint8Array[] | undefined = [];
  const parsed = term.onWriteParsed(events.parsed);
  // Not while the scrollback is replayed: a query from long ago must not be answered into the shell now.
  const replies = term.onData((data) => {
    if (!early && events.answersQueries()) client.call('term_write', { id, data }).catch(() => undefined);
  });
  const offOutput = client.onNotification('term_output', (output) => {
    if (output.id !== id) return;
    if (early) early.push(output.data);
    else term.write(output.data);
  });
  const offExit = client.onNotification('term_exit', (exit) => exit.id === id && events.exited(exit));
  const offDropped = client.onNotification('term_dropped', (dropped) => dropped.id === id && events.dropped());
  let live = true;
  client.call('term_attach', { id }).then(
    ({ terminal, scrollback }) => {
      if (!live) return;
      events.attached(terminal);
      term.write(scrollback);
      for (const data of early ?? []) term.write(data);
      early = undefined;
      events.parsed();
    },
    (error: unknown) => live && events.failed(error),
  );
  return () => {
    live = false;
    offOutput();
    offExit();
    offDropped();
    parsed.dispose();
    replies.dispose();
    if (client.state === 'open') client.call('term_detach', { id }).catch(() => undefined);
  };
}

/** The terminal once its program ended, from the term_exit notification. */
function ended(terminal: TerminalInfo, exit: TermExit): TerminalInfo {
  const reason = exit.signal ? `killed by signal ${exit.signal}` : `exited with code ${exit.exit_code}`;
  return { ...terminal, status: 'ended', exit_code: exit.exit_code, signal: exit.signal, end_reason: reason };
}

/** The emulator's screen, with the cursor while the keyboard is here and the program has not hidden it. */
function draw(emulator: Emulator, focused: boolean): ScreenSnapshot {
  return snapshot(emulator.terminal, focused && !emulator.cursorHidden());
}

/** Runs `paint` at most once per FRAME_MS, however often it is asked for. */
function frameScheduler(paint: () => void): { schedule: () => void; cancel: () => void } {
  let timer: NodeJS.Timeout | undefined;
  let last = 0;
  return {
    schedule: () => {
      if (timer) return;
      timer = setTimeout(
        () => {
          timer = undefined;
          last = Date.now();
          paint();
        },
        Math.max(0, last + FRAME_MS - Date.now()),
      );
    },
    cancel: () => clearTimeout(timer),
  };
}
