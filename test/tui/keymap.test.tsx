import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type Key, Text, useInput } from 'ink';
import { render } from 'ink-testing-library';
import { type Action, actionFor, BINDINGS, firstKey, type Focus, keyName, NO_FLAGS } from '../../tui/keymap.js';

const NO_KEY: Key = NO_FLAGS;

const FOCUSES: Focus[] = [
  'tree',
  'events',
  'chat',
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
    const instance = render(<Probe />);
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

describe('actionFor', () => {
  it('routes the focused context first, then the global bindings', () => {
    assert.equal(actionFor('j', 'tree'), 'down');
    assert.equal(actionFor('j', 'events'), 'down');
    assert.equal(actionFor('enter', 'tree'), 'open');
    assert.equal(actionFor('enter', 'chat'), 'send');
    assert.equal(actionFor('enter', 'form'), 'send');
    assert.equal(actionFor('escape', 'chat'), 'focus-tree');
    assert.equal(actionFor('escape', 'form'), 'cancel');
    assert.equal(actionFor('q', 'tree'), 'quit');
    assert.equal(actionFor('q', 'events'), 'quit');
    assert.equal(actionFor('?', 'events'), 'help');
    assert.equal(actionFor('2', 'events'), 'tab-chat');
    assert.equal(actionFor('g', 'events'), 'top');
    assert.equal(actionFor('G', 'events'), 'bottom');
    assert.equal(actionFor('g', 'tree'), undefined);
    assert.equal(actionFor('n', 'events'), undefined);
  });

  it('leaves text entry alone: in chat and forms, letters are text, not commands', () => {
    for (const focus of ['chat', 'form'] as const) {
      for (const name of ['q', '?', '1', '2', 'j', 'k', 'n', 'i', 'x', 'tab', 'space']) {
        assert.equal(actionFor(name, focus), undefined, `${name} in ${focus}`);
      }
    }
    assert.equal(actionFor('ctrl+c', 'chat'), 'interrupt');
    assert.equal(actionFor('ctrl+j', 'chat'), 'newline');
  });

  it('in the help, only closes it or scrolls it: q closes the help rather than quitting', () => {
    assert.equal(actionFor('q', 'help'), 'help');
    assert.equal(actionFor('escape', 'help'), 'help');
    assert.equal(actionFor('?', 'help'), 'help');
    assert.equal(actionFor('j', 'help'), 'down');
    assert.equal(actionFor('n', 'help'), undefined);
    assert.equal(actionFor('1', 'help'), undefined);
  });

  it('finds every binding of the table where it says it applies (no binding is shadowed)', () => {
    for (const binding of BINDINGS) {
      const places: Focus[] =
        binding.where === 'global'
          ? FOCUSES.filter((focus) => focus === 'tree' || focus === 'events')
          : [binding.where];
      for (const focus of places) {
        for (const key of binding.keys) {
          const found: Action | undefined = actionFor(key, focus);
          // A global key may be taken over by the focused context, never silently lost.
          const local = BINDINGS.find((other) => other.where === focus && other.keys.includes(key));
          assert.equal(found, local?.action ?? binding.action, `${key} in ${focus}`);
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
