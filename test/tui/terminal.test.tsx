import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdirSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Key } from 'ink';
import type { RefObject } from 'react';
import { Client } from '../../src/client/client.js';
import type { Workspace } from '../../src/protocol/runtime-types.js';
import type { TerminalInfo } from '../../src/protocol/terminal-types.js';
import type { Selection, TabContext } from '../../tui/tabs/tab.js';
import { cleanup, type DaemonHandle, startDaemon, tempDir } from '../helpers/daemon.js';
import { TermOutput } from '../helpers/term-output.js';
import { drawnLines, lines, type Rendered, renderWatched } from './helpers/frames.js';
import { tui } from './helpers/shipped.js';
import { noEvents } from './helpers/tabs.js';

const {
  Box,
  commandFor,
  createEmulator,
  firstKey,
  keyBytes,
  keyName,
  NO_FLAGS,
  snapshot,
  Text,
  useInput,
  useRef,
  useState,
  useTerminalTab,
} = tui;

const key = (flags: Partial<Key>): Key => ({ ...NO_FLAGS, ...flags });

describe('terminal keys to bytes', () => {
  it('sends what xterm sends for each key Ink reports', () => {
    const cases: [string, Key, string][] = [
      ['a', NO_FLAGS, 'a'],
      ['A', key({ shift: true }), 'A'],
      ['echo hi', NO_FLAGS, 'echo hi'],
      ['\r', key({ return: true }), '\r'],
      ['', key({ backspace: true }), '\x7f'],
      ['', key({ delete: true }), '\x7f'],
      ['', key({ tab: true }), '\t'],
      ['', key({ tab: true, shift: true }), '\x1b[Z'],
      ['', key({ escape: true, meta: true }), '\x1b'],
      ['', key({ upArrow: true }), '\x1b[A'],
      ['', key({ downArrow: true }), '\x1b[B'],
      ['', key({ rightArrow: true }), '\x1b[C'],
      ['', key({ leftArrow: true }), '\x1b[D'],
      ['', key({ home: true }), '\x1b[H'],
      ['', key({ end: true }), '\x1b[F'],
      ['', key({ pageUp: true }), '\x1b[5~'],
      ['', key({ pageDown: true }), '\x1b[6~'],
      ['', key({ rightArrow: true, ctrl: true }), '\x1b[1;5C'],
      ['', key({ upArrow: true, shift: true }), '\x1b[1;2A'],
      ['', key({ pageUp: true, meta: true }), '\x1b[5;3~'],
      ['c', key({ ctrl: true }), '\x03'],
      ['d', key({ ctrl: true }), '\x04'],
      ['z', key({ ctrl: true }), '\x1a'],
      ['`', key({ ctrl: true }), '\x00'],
      ['b', key({ meta: true }), '\x1bb'],
      ['\r', key({ return: true, meta: true }), '\x1b\r'],
      ['\x1c', NO_FLAGS, '\x1c'],
    ];
    for (const [input, flags, bytes] of cases) {
      assert.equal(keyBytes(input, flags), bytes, `${JSON.stringify(input)} ${JSON.stringify(flags)}`);
    }
    assert.equal(keyBytes('', NO_FLAGS), undefined, 'a key Ink could not name sends nothing');
  });

  it('sends the application form of the cursor keys when the program asked for it (DECCKM)', () => {
    const modes = { applicationCursor: true };
    assert.equal(keyBytes('', key({ upArrow: true }), modes), '\x1bOA');
    assert.equal(keyBytes('', key({ home: true }), modes), '\x1bOH');
    assert.equal(keyBytes('', key({ upArrow: true, ctrl: true }), modes), '\x1b[1;5A', 'modifiers keep the CSI form');
  });

  it('gives back the bytes the terminal sent, through Ink: the round trip a key makes', async () => {
    // Bytes as a terminal sends them go through Ink's parser; what reaches the program must be the same bytes.
    const sent = [
      'x',
      '\r',
      '\x7f',
      '\t',
      '\x1b[Z',
      '\x1b[A',
      '\x1b[D',
      '\x1b[5~',
      '\x1b[H',
      '\x1b[1;5C',
      '\x03',
      '\x1bb',
    ];
    const got: (string | undefined)[] = [];
    function Probe() {
      useInput((input, flags) => {
        got.push(keyBytes(input, flags));
      });
      return <Text>probe</Text>;
    }
    const instance = renderWatched(<Probe />);
    try {
      for (const bytes of sent) {
        instance.stdin.write(bytes);
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
      assert.deepEqual(got, sent);
    } finally {
      instance.unmount();
    }
  });

  it('leaves the pane on Ctrl-], which Ink reports as the bare byte, alone or among other keys', async () => {
    const names: string[] = [];
    function Probe() {
      useInput((input, flags) => {
        names.push(keyName(input, flags));
      });
      return <Text>probe</Text>;
    }
    const instance = renderWatched(<Probe />);
    try {
      instance.stdin.write('\x1d');
      await new Promise<void>((resolve) => setImmediate(resolve));
      // Ink gives it no name and no ctrl flag: keyName names the bare byte.
      assert.deepEqual(names, ['ctrl+]']);
      assert.deepEqual(commandFor(names[0]!, 'terminal'), { owner: 'app', action: 'focus-tree' });
      // Read together with typed text, it is split off as a key of its own with the same name.
      const split = firstKey('ls\x1d', undefined, true);
      assert.equal(split.input, 'ls');
      const next = firstKey(split.rest, undefined, true);
      assert.equal(keyName(next.input, next.key), 'ctrl+]');
    } finally {
      instance.unmount();
    }
  });
});

describe('terminal screen snapshot', () => {
  it('turns cells into runs of one style: colours, bold, inverse, and the cursor', async () => {
    const emulator = createEmulator(20, 2);
    const term = emulator.terminal;
    await new Promise<void>((resolve) =>
      term.write('\x1b[31mred\x1b[0m \x1b[1;44mbold\x1b[0m \x1b[38;5;200mx\x1b[38;2;1;2;3my\x1b[0m', resolve),
    );
    const screen = snapshot(term, true);
    assert.deepEqual(screen.rows[0], [
      { text: 'red', color: 'red' },
      { text: ' ' },
      { text: 'bold', backgroundColor: 'blue', bold: true },
      { text: ' ' },
      { text: 'x', color: 'ansi256(200)' },
      { text: 'y', color: '#010203' },
      { text: ' ', inverse: true },
    ]);
    assert.deepEqual(screen.rows[1], []);
    assert.deepEqual(snapshot(term, false).rows[0]!.at(-1), { text: 'y', color: '#010203' }, 'no cursor unfocused');
    emulator.dispose();
  });

  it('knows when the program hides its cursor (DECTCEM), and when a reset shows it again', async () => {
    const emulator = createEmulator(20, 2);
    const write = (data: string) => new Promise<void>((resolve) => emulator.terminal.write(data, resolve));
    assert.equal(emulator.cursorHidden(), false);
    await write('\x1b[?25l');
    assert.equal(emulator.cursorHidden(), true);
    await write('\x1b[?1049;25h');
    assert.equal(emulator.cursorHidden(), false, 'among other modes too');
    await write('\x1b[?25l\x1bc');
    assert.equal(emulator.cursorHidden(), false);
    emulator.dispose();
  });
});

/** What a test changes in the harness, as the app would: the pane's size, focus, visibility, selection. */
interface HarnessControl {
  setSize: (size: { width: number; height: number }) => void;
  setActive: (active: boolean) => void;
  setGeneration: (generation: number) => void;
  setSelection: (selection: Selection) => void;
}

/**
 * The tab as the app hosts it: a TabContext, keys routed by the key table to
 * the controller's perform (or the app's focus-tree), the rest to type().
 * Below the pane, a line tells where the keyboard is and what was notified, and one the hints.
 */
function Harness(props: { client: Client; selection: Selection; control: RefObject<HarnessControl | null> }) {
  const [selection, setSelection] = useState(props.selection);
  const [size, setSize] = useState({ width: 60, height: 12 });
  const [focused, setFocused] = useState(true);
  const [active, setActive] = useState(true);
  const [generation, setGeneration] = useState(1);
  const [notice, setNotice] = useState('');
  const [selected, setSelected] = useState('');
  props.control.current = { setSize, setActive, setGeneration, setSelection };
  const context: TabContext = {
    client: props.client,
    generation,
    selection,
    open: { session: undefined, events: noEvents },
    active,
    focused: focused && active,
    width: size.width,
    height: size.height,
    notify: setNotice,
    showTab: (_tab, focus) => focus && setFocused(true),
    // As the tree does once reloaded: the row selected, and with it the terminal it holds.
    selectInTree: (id) => {
      setSelected(id);
      void props.client.call('term_list', {}).then(({ terminals }) => {
        const picked = terminals.find((item) => item.id === id);
        setSelection((current) => ({ ...current, terminal: picked }));
      });
    },
  };
  const controller = useTerminalTab(context);
  const focus = focused ? controller.focus : 'tree';
  // Keys are routed by the newest render's controller and by where the keyboard is now: Ink hands
  // a key to the handler its last passive effect subscribed, which can be a render behind (a frame
  // is out before effects run), and a key can come before the render of the key ahead of it.
  const latest = useRef(controller);
  latest.current = controller;
  const keyboardInPane = useRef(focused);
  keyboardInPane.current = focused;
  useInput((input, flags) => {
    const tab = latest.current;
    const command = commandFor(keyName(input, flags), keyboardInPane.current ? tab.focus : 'tree');
    if (command?.owner === 'app' && command.action === 'focus-tree') {
      keyboardInPane.current = false;
      return setFocused(false);
    }
    if (command?.owner === 'terminal') return tab.perform(command.action);
    if (command === undefined && keyboardInPane.current) tab.type?.(input, flags);
  });
  return (
    <Box flexDirection="column">
      {controller.render()}
      <Text>{`focus:${focus} selected:${selected} notice:${notice}`}</Text>
      <Text>{`hints:${controller.hints}`}</Text>
    </Box>
  );
}

describe('Terminal tab against a real daemon', () => {
  const work = tempDir('cortex-tui-terminal-');
  let daemon: DaemonHandle;
  let control: Client;
  let client: Client;
  let workspace: Workspace;
  let terminal: TerminalInfo;
  let view: Rendered;
  const harness: RefObject<HarnessControl | null> = { current: null };
  /** The pane's rows, without its border. */
  const screen = (frame: string) => lines(frame).map((line) => line.replace(/^│/, '').replace(/│$/, '').trimEnd());
  const hasLine = (frame: string, text: string) => screen(frame).includes(text);
  const viewers = async (id: string) =>
    (await control.call('term_list', {})).terminals.find((item) => item.id === id)?.viewers;

  before(async () => {
    mkdirSync(join(work.path, 'ws'));
    daemon = await startDaemon();
    control = await daemon.connect();
    client = await daemon.connect();
    ({ workspace } = await control.call('workspace_add', { path: join(work.path, 'ws') }));
    const opened = await control.call('term_open', { workspace: workspace.id, command: ['/bin/sh'] });
    terminal = opened.terminal;
    // Output from before anyone watches in the tab: it must come back from the scrollback.
    const output = new TermOutput(control, terminal.id);
    await control.call('term_attach', { id: terminal.id });
    await control.call('term_write', { id: terminal.id, data: 'echo early-$((40+2))\n' });
    await output.waitFor('early-42');
    await control.call('term_detach', { id: terminal.id });
    view = renderWatched(
      <Harness
        client={client}
        selection={{ workspace, project: undefined, session: undefined, terminal }}
        control={harness}
      />,
    );
  });

  after(async () => {
    view?.unmount();
    client?.close();
    control?.close();
    await cleanup(daemon);
    work.remove();
  });

  it('shows the scrollback from before it attached, in a pane sized to the emulator', async () => {
    // The echo was written before the shell printed its first prompt, so its output may follow that prompt on one line.
    const frame = await view.waitFor(
      (text) => screen(text).some((row) => /^(?:[#$] )?early-42$/.test(row)),
      'the scrollback',
    );
    assert.match(frame, new RegExp(`Terminal ${terminal.id} · sh`));
    assert.match(frame, /focus:terminal /);
    const rows = drawnLines(frame);
    assert.equal(rows.length, 12 + 2 + 2, 'the pane (border included) and the harness lines');
    assert.ok(
      rows.slice(0, -2).every((row) => row.length <= 60),
      'no row wider than the pane',
    );
    assert.equal(await viewers(terminal.id), 1);
  });

  it('sends typed keys to the shell and shows what it prints', async () => {
    await view.press(...'echo hi-$((1+2))', '\r');
    await view.waitFor((text) => hasLine(text, 'hi-3'), 'the echo');
  });

  it('resizes the PTY with the pane: stty size tells the new size', async () => {
    harness.current!.setSize({ width: 70, height: 16 });
    await view.waitFor((text) => lines(text)[0]!.length === 70, 'the wider pane');
    await view.press(...'stty size', '\r');
    // 70 wide less the border, 16 rows less the title line.
    await view.waitFor((text) => hasLine(text, '15 68'), 'the new size from the PTY');
  });

  it('keeps up with a burst of output, drawing a bounded number of frames', async () => {
    const before = view.frames.length;
    const started = Date.now();
    await view.press(...'yes burst-line | head -n 100000; echo burst-$((2+3))', '\r');
    await view.waitFor((text) => hasLine(text, 'burst-5'), 'the end of the burst');
    const seconds = (Date.now() - started) / 1000;
    const frames = view.frames.length - before;
    // ~30 a second, and a few for the keys typed; chunk by chunk it would be thousands.
    assert.ok(frames <= 30 * seconds + 40, `${frames} frames in ${seconds.toFixed(2)} s`);
  });

  it('attaches again when the connection is new (generation), and detaches while hidden', async () => {
    harness.current!.setGeneration(2);
    await view.press(...'echo again-$((3+4))', '\r');
    await view.waitFor((text) => hasLine(text, 'again-7'), 'output after attaching again');
    assert.equal(await viewers(terminal.id), 1, 'one attach, not two');
    harness.current!.setActive(false);
    await until(async () => (await viewers(terminal.id)) === 0, 'the tab to detach when hidden');
    await control.call('term_write', { id: terminal.id, data: 'echo hidden-$((4+4))\n' });
    harness.current!.setActive(true);
    await view.waitFor((text) => hasLine(text, 'hidden-8'), 'what ran while hidden, from the scrollback');
  });

  it('gives the keyboard back to the tree on Ctrl-], and t there opens a terminal and shows it', async () => {
    await view.press('\x1d');
    await view.waitFor((text) => text.includes('focus:tree '), 'the tree focused');
    await view.press('t');
    const frame = await view.waitFor(
      (text) => /selected:t_\w+ /.test(text) && text.includes('focus:terminal '),
      'a new terminal, selected and focused',
    );
    const opened = /selected:(t_\w+) /.exec(frame)![1]!;
    assert.notEqual(opened, terminal.id);
    // Keys typed before the shell is ready may be dropped by its startup: wait for its prompt.
    await view.waitFor((text) => text.includes(`Terminal ${opened}`) && /ws[#$]/.test(text), 'the new shell, ready');
    const listed = await control.call('term_list', { workspace: workspace.id });
    const info = listed.terminals.find((item) => item.id === opened)!;
    assert.deepEqual([info.cols, info.rows], [68, 15], 'opened at the pane size');
  });

  it('shows how the program ended, and r runs it again', async () => {
    await view.press(...'exit 3', '\r');
    await view.waitFor(
      (text) => text.includes(' · bash · exited with code 3') && text.includes('hints:ended: r runs it again'),
      'the exit status',
    );
    await view.waitFor((text) => text.includes('focus:terminal-idle '), 'the idle focus');
    await view.press('r');
    await view.waitFor((text) => text.includes('[cortex: started again: '), 'the restart notice');
    await view.waitFor((text) => text.includes('focus:terminal '), 'keys go to the program again');
  });

  it('lends the program the whole terminal with F, and draws the frame again after Ctrl-]', async () => {
    await view.press('\x1d');
    await view.waitFor((text) => text.includes('focus:tree '), 'the tree focused');
    await view.press('F');
    // The shell's scrollback replayed at the whole terminal's size, nothing of the harness around it.
    const full = await view.waitFor(
      (text) => !text.includes('hints:') && text.includes('[cortex: started again: '),
      'the program on the whole terminal',
    );
    assert.doesNotMatch(full, /[│┌└]/);
    await view.press('\x1d');
    await view.waitFor(
      (text) => text.includes('hints:') && /notice:back from t_\w+, still running/.test(text),
      'the frame drawn again',
    );
  });
});

/** Polls `check` until it holds (a daemon-side state with no notification to wait on). */
async function until(check: () => Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('Terminal tab when the daemon drops it for falling behind', () => {
  const work = tempDir('cortex-tui-terminal-drop-');
  let daemon: DaemonHandle;
  let control: Client;
  let socket: Socket;
  let view: Rendered | undefined;

  before(async () => {
    mkdirSync(join(work.path, 'ws'));
    // The smallest allowed: a viewer 64 KiB behind is dropped at once.
    daemon = await startDaemon({ config: { term_viewer_max_pending_bytes: 16 * 1024 } });
    control = await daemon.connect();
    socket = connect(daemon.socket);
    await once(socket, 'connect');
  });

  after(async () => {
    view?.unmount();
    socket?.destroy();
    control?.close();
    await cleanup(daemon);
    work.remove();
  });

  it('attaches again after term_dropped and shows what it missed', async () => {
    // A client on a socket the test can pause, so the tab falls behind as over a stalled ssh link.
    const client = new Client(socket);
    const drops: unknown[] = [];
    client.onNotification((method, params) => method === 'term_dropped' && drops.push(params));
    const { workspace } = await control.call('workspace_add', { path: join(work.path, 'ws') });
    const { terminal } = await control.call('term_open', { workspace: workspace.id, command: ['/bin/sh'] });
    const harness: RefObject<HarnessControl | null> = { current: null };
    view = renderWatched(
      <Harness
        client={client}
        selection={{ workspace, project: undefined, session: undefined, terminal }}
        control={harness}
      />,
    );
    await view.waitFor((text) => /^│[#$] *│$/m.test(text), 'the prompt');

    socket.pause();
    await control.call('term_write', {
      id: terminal.id,
      data: 'yes dropped-line | head -n 300000; echo after-$((6+1))\n',
    });
    // Read from the scrollback, not as a viewer: a viewer here would be dropped too, whenever the
    // busy test process reads it late (the limit is 16 KiB for every viewer).
    await until(
      async () => {
        const { scrollback } = await control.call('term_attach', { id: terminal.id, scrollback: 256 });
        await control.call('term_detach', { id: terminal.id });
        return Buffer.from(scrollback).toString().includes('after-7');
      },
      'after-7 in the scrollback',
      60_000,
    );
    socket.resume();
    await view.waitFor((text) => /^│after-7 *│$/m.test(text), 'the end of the output, after attaching again');
    assert.ok(drops.length > 0, 'the daemon dropped the paused client');
  });
});
