import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Key } from 'ink';
import type { Command, Focus } from '../../tui/keymap.js';
import { renderWatched } from './helpers/frames.js';
import { tui } from './helpers/shipped.js';

const { BINDINGS, commandFor, firstKey, keyName, NO_FLAGS, Text, useInput } = tui;

const NO_KEY: Key = NO_FLAGS;

const FOCUSES: Focus[] = [
  'tree',
  'events',
  'chat',
  'chat-log',
  'files',
  'viewer',
  'editor',
  'conflict',
  'diff',
  'comment',
  'diff-confirm',
  'checks',
  'terminal',
  'terminal-idle',
  'form',
  'help',
  'confirm',
];

describe('keyName', () => {
  it('names printable keys by their character, keeping case', () => {
    assert.equal(keyName('q', NO_KEY), 'q');
    assert.equal(keyName('G', { ...NO_KEY, shift: true }), 'G');
    assert.equal(keyName('?', NO_KEY), '?');
    assert.equal(keyName(' ', NO_KEY), 'space');
  });

  it('names special keys from the flags Ink sets', () => {
    const cases: [Partial<Key>, string][] = [
      [{ return: true }, 'enter'],
      [{ upArrow: true }, 'up'],
      [{ downArrow: true }, 'down'],
      [{ leftArrow: true }, 'left'],
      [{ rightArrow: true }, 'right'],
      [{ pageUp: true }, 'pageup'],
      [{ pageDown: true }, 'pagedown'],
      [{ home: true }, 'home'],
      [{ end: true }, 'end'],
      [{ escape: true, meta: true }, 'escape'],
      [{ tab: true }, 'tab'],
      [{ tab: true, shift: true }, 'shift+tab'],
      [{ backspace: true }, 'backspace'],
      [{ delete: true }, 'backspace'],
      [{ return: true, meta: true }, 'meta+enter'],
    ];
    for (const [flags, name] of cases) assert.equal(keyName('', { ...NO_KEY, ...flags }), name, JSON.stringify(flags));
  });

  it('prefixes ctrl to letters, and calls a bare line feed ctrl+j', () => {
    assert.equal(keyName('c', { ...NO_KEY, ctrl: true }), 'ctrl+c');
    assert.equal(keyName('C', { ...NO_KEY, ctrl: true }), 'ctrl+c');
    assert.equal(keyName('\n', NO_KEY), 'ctrl+j');
  });

  it('agrees with the key flags Ink derives from the bytes a terminal sends', async () => {
    // The table above is only right if Ink really sets those flags: feed raw bytes through useInput.
    const seen: string[] = [];
    function Probe() {
      useInput((input, key) => {
        seen.push(keyName(input, key));
      });
      return <Text>probe</Text>;
    }
    const instance = renderWatched(<Probe />);
    const bytes: [string, string][] = [
      ['q', 'q'],
      ['G', 'G'],
      [' ', 'space'],
      ['\r', 'enter'],
      ['\n', 'ctrl+j'],
      ['\u001b\r', 'meta+enter'],
      ['\u001b[A', 'up'],
      ['\u001b[B', 'down'],
      ['\u001b[C', 'right'],
      ['\u001b[D', 'left'],
      ['\u001b[5~', 'pageup'],
      ['\u001b[6~', 'pagedown'],
      ['\u001b[H', 'home'],
      ['\u001b[F', 'end'],
      ['\t', 'tab'],
      ['\u001b[Z', 'shift+tab'],
      ['\u007f', 'backspace'],
      ['\u0003', 'ctrl+c'],
    ];
    try {
      for (const [data] of bytes) instance.stdin.write(data);
      // A lone escape is only known to be one when no more bytes follow: Ink decides on the next turn.
      instance.stdin.write('\u001b');
      await new Promise<void>((resolve) => setImmediate(resolve));
      assert.deepEqual(seen, [...bytes.map(([, name]) => name), 'escape']);
    } finally {
      instance.unmount();
    }
  });
});

describe('commandFor', () => {
  const app = (action: string) => ({ owner: 'app', action });
  it('routes the focused context first, then the global bindings', () => {
    assert.deepEqual(commandFor('j', 'tree'), app('tree-down'));
    assert.deepEqual(commandFor('j', 'events'), { owner: 'events', action: 'down' });
    assert.deepEqual(commandFor('enter', 'tree'), app('open'));
    assert.deepEqual(commandFor('enter', 'chat'), { owner: 'chat', action: 'send' });
    assert.deepEqual(commandFor('enter', 'form'), app('form-submit'));
    assert.deepEqual(commandFor('escape', 'chat'), app('focus-tree'));
    assert.deepEqual(commandFor('escape', 'form'), app('form-cancel'));
    assert.deepEqual(commandFor('q', 'tree'), app('quit'));
    assert.deepEqual(commandFor('q', 'events'), app('quit'));
    assert.deepEqual(commandFor('?', 'events'), app('help'));
    assert.deepEqual(commandFor('2', 'events'), { owner: 'show', action: 'chat' });
    assert.deepEqual(commandFor('g', 'events'), { owner: 'events', action: 'top' });
    assert.deepEqual(commandFor('G', 'events'), { owner: 'events', action: 'bottom' });
    assert.deepEqual(commandFor('t', 'tree'), { owner: 'terminal', action: 'open' });
    assert.equal(commandFor('g', 'tree'), undefined);
    assert.equal(commandFor('y', 'tree'), undefined);
  });

  it('answers approvals with y/n/a in Events and in the conversation of Chat, not in its box', () => {
    for (const [name, action] of [
      ['y', 'approve'],
      ['n', 'deny'],
      ['a', 'always'],
    ] as const) {
      assert.deepEqual(commandFor(name, 'events'), { owner: 'events', action });
      assert.deepEqual(commandFor(name, 'chat-log'), { owner: 'chat', action });
      assert.equal(commandFor(name, 'chat'), undefined, `${name} is text in the box`);
    }
    assert.deepEqual(commandFor('up', 'chat'), { owner: 'chat', action: 'read' });
    assert.deepEqual(commandFor('enter', 'chat-log'), { owner: 'chat', action: 'type' });
    assert.deepEqual(commandFor('ctrl+s', 'chat'), { owner: 'chat', action: 'steer' });
  });

  it('asks before x stops a session: y stops, anything else (a tab key, q) only answers no', () => {
    assert.deepEqual(commandFor('x', 'tree'), app('stop-session'));
    assert.deepEqual(commandFor('y', 'confirm'), app('confirm-yes'));
    assert.deepEqual(commandFor('q', 'confirm'), app('confirm-no'));
    assert.equal(commandFor('1', 'confirm'), undefined, 'no global key at a question');
  });

  it('leaves text entry alone: in chat and forms, letters are text, not commands', () => {
    for (const focus of ['chat', 'form'] as const) {
      for (const name of ['q', '?', '1', '2', 'j', 'k', 'n', 'i', 'x', 'space']) {
        assert.equal(commandFor(name, focus), undefined, `${name} in ${focus}`);
      }
    }
    assert.deepEqual(commandFor('ctrl+c', 'chat'), app('interrupt'));
    assert.deepEqual(commandFor('ctrl+j', 'chat'), { owner: 'chat', action: 'newline' });
    assert.equal(commandFor('tab', 'chat'), undefined);
    assert.deepEqual(commandFor('tab', 'form'), app('form-next'), 'Tab moves between the fields of a form');
  });

  it('in the help, only closes it or scrolls it: q closes the help rather than quitting', () => {
    assert.deepEqual(commandFor('q', 'help'), app('help'));
    assert.deepEqual(commandFor('escape', 'help'), app('help'));
    assert.deepEqual(commandFor('?', 'help'), app('help'));
    assert.deepEqual(commandFor('j', 'help'), app('help-down'));
    assert.equal(commandFor('n', 'help'), undefined);
    assert.equal(commandFor('1', 'help'), undefined);
  });

  it('finds every binding of the table where it says it applies (no binding is shadowed)', () => {
    for (const binding of BINDINGS) {
      const places: Focus[] =
        binding.where === 'global'
          ? FOCUSES.filter((focus) => focus === 'tree' || focus === 'events')
          : [binding.where];
      for (const focus of places) {
        for (const key of binding.keys) {
          const found: Command | undefined = commandFor(key, focus);
          // A global key may be taken over by the focused context, never silently lost.
          const local = BINDINGS.find((other) => other.where === focus && other.keys.includes(key));
          assert.deepEqual(found, local?.command ?? binding.command, `${key} in ${focus}`);
        }
      }
    }
  });

  it('has no key bound twice in the same place', () => {
    for (const where of [...FOCUSES, 'global'] as const) {
      const keys = BINDINGS.filter((binding) => binding.where === where).flatMap((binding) => binding.keys);
      assert.deepEqual(
        keys.filter((key, index) => keys.indexOf(key) !== index),
        [],
        where,
      );
    }
  });

  it('has a help section for every place a binding applies', () => {
    const sections = new Set(tui.HELP_SECTIONS.map((section) => section.where));
    for (const binding of BINDINGS) assert.ok(sections.has(binding.where), `${binding.where} has no section`);
  });
});

describe('firstKey', () => {
  /** Splits a read completely, as the app does, key by key. */
  function keys(input: string, typing: (index: number) => boolean = () => false): string[] {
    const names: string[] = [];
    let rest = input;
    let key: Key | undefined = { ...NO_KEY };
    while (rest !== '') {
      const next = firstKey(rest, key, typing(names.length));
      names.push(keyName(next.input, next.key) + (next.input.length > 1 ? `(${next.input})` : ''));
      rest = next.rest;
      key = undefined;
    }
    return names;
  }

  it('passes a single key through as Ink read it', () => {
    const up = { ...NO_KEY, upArrow: true };
    assert.deepEqual(firstKey('', up, false), { input: '', key: up, rest: '' });
    const ctrlC = { ...NO_KEY, ctrl: true };
    assert.deepEqual(firstKey('c', ctrlC, true), { input: 'c', key: ctrlC, rest: '' });
  });

  it('in a message keeps a pasted paragraph together, but still ends a typed line with Enter', () => {
    const lines = (input: string) => {
      const first = firstKey(input, { ...NO_KEY }, true, true);
      return [first.input, first.rest];
    };
    assert.deepEqual(lines('one\rtwo\r\nthree\nfour'), ['one\ntwo\nthree\nfour', '']);
    assert.deepEqual(lines('hi\r'), ['hi', '\r'], 'Enter typed right after the text still sends');
    assert.deepEqual(lines('one\rtwo\r'), ['one\ntwo', '\r']);
    assert.deepEqual(lines('a\r\u0003'), ['a', '\r\u0003'], 'a line break before a control key is Enter');
    // Where Enter is a key of its own (a form, the terminal), a line break always is.
    assert.deepEqual(firstKey('one\rtwo', { ...NO_KEY }, true).input, 'one');
  });

  it('outside text entry makes every character a key', () => {
    assert.deepEqual(keys('jjq'), ['j', 'j', 'q']);
    assert.deepEqual(keys('G\t?'), ['G', 'tab', '?']);
  });

  it('while typing keeps text together and splits off Enter, Tab, Backspace and Ctrl keys', () => {
    const typing = () => true;
    assert.deepEqual(keys('hi there\r', typing), ['hi there(hi there)', 'enter']);
    assert.deepEqual(keys('\tthird one\r', typing), ['tab', 'third one(third one)', 'enter']);
    assert.deepEqual(keys('one\ntwo\u007f', typing), ['one(one)', 'ctrl+j', 'two(two)', 'backspace']);
    assert.deepEqual(keys('x\u0003', typing), ['x', 'ctrl+c']);
  });

  it('decides per key, so a key that starts typing changes how the rest is read', () => {
    // "2" opens the chat in the tree; what follows is then a message, not commands.
    assert.deepEqual(
      keys('2hello\r', (index) => index > 0),
      ['2', 'hello(hello)', 'enter'],
    );
  });
});
