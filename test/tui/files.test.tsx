import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Client } from '../../src/client/client.js';
import type { Workspace } from '../../src/protocol/runtime-types.js';
import type { TabContext } from '../../tui/tabs/tab.js';
import { cleanup, type DaemonHandle, startDaemon, tempDir } from '../helpers/daemon.js';
import { makeRepo } from '../helpers/git-repo.js';
import { lines, type Rendered, renderWatched } from './helpers/frames.js';
import { noEvents } from './helpers/tabs.js';
import { tui } from './helpers/shipped.js';

const { Box, commandFor, keyName, Text, useFilesTab, useKeyQueue, useState } = tui;

const ESC = '\u001b';
const CTRL_S = '\u0013';
const LEFT = '\u001b[D';
const RIGHT = '\u001b[C';
const HOME = '\u001b[H';
const END = '\u001b[F';

/**
 * Records the folders a client lists, to see that the tree loads lazily, and
 * tells when a folder's listing has been answered (the daemon watches a folder
 * for a subscriber from the moment it answers its listing).
 */
function recordLists(client: Client): { paths: string[]; next: (path: string) => Promise<void> } {
  const paths: string[] = [];
  const waiters: { path: string; resolve: () => void }[] = [];
  const call = client.call.bind(client);
  client.call = (method, params, options) => {
    const result = call(method, params, options);
    if (method !== 'fs_list') return result;
    const path = (params as { path?: string }).path ?? '.';
    paths.push(path);
    result.then(
      () => {
        for (const waiter of waiters.filter((item) => item.path === path)) {
          waiters.splice(waiters.indexOf(waiter), 1);
          waiter.resolve();
        }
      },
      () => undefined,
    );
    return result;
  };
  return { paths, next: (path) => new Promise((resolve) => waiters.push({ path, resolve })) };
}

interface HarnessProps {
  client: Client;
  generation: number;
  workspace: Workspace | undefined;
}

/**
 * The Files tab alone, as the app drives it: keys go through the key table
 * (a binding's action to `perform`, anything else to `type`), and the status
 * bar's notice and hints are drawn under the pane.
 */
function Harness({ client, generation, workspace }: HarnessProps) {
  const [notice, setNotice] = useState('');
  const context: TabContext = {
    client,
    generation,
    selection: { workspace, project: undefined, session: undefined, terminal: undefined },
    open: { session: undefined, events: noEvents },
    active: true,
    focused: true,
    width: 60,
    height: 20,
    notify: setNotice,
    showTab: () => undefined,
    selectInTree: () => undefined,
  };
  const controller = useFilesTab(context);
  // As the app does: one key per render, each handled by the newest render's controller.
  useKeyQueue(controller.focus, (input, key) => {
    const command = commandFor(keyName(input, key), controller.focus);
    if (command?.owner === 'files') controller.perform(command.action);
    else if (command === undefined) controller.type?.(input, key);
  });
  return (
    <Box flexDirection="column">
      {controller.render()}
      <Text>{`[${controller.focus}] ${notice} · ${controller.hints}`}</Text>
      <Text>{`unsaved: ${controller.unsaved.join(', ') || 'none'}`}</Text>
    </Box>
  );
}

/** The file's lines as numbered in the viewer: `│ 1 line 1`. */
const numbered = (frame: string, number: number, text: string) =>
  lines(frame).some((line) => new RegExp(`^│ *${number} ${text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`).test(line));

describe('Files tab against a real daemon', () => {
  const work = tempDir('cortex-tui-files-');
  const root = join(work.path, 'project');
  const other = join(work.path, 'other');
  const readme = Array.from({ length: 30 }, (_, index) => `line ${index + 1}`);
  readme[2] = `line 3 ${'x'.repeat(80)} END`;
  let daemon: DaemonHandle;
  let client: Client;
  let workspace: Workspace;
  let otherWorkspace: Workspace;
  let app: Rendered;
  let lists: ReturnType<typeof recordLists>;

  before(async () => {
    mkdirSync(root);
    mkdirSync(other);
    makeRepo(root, {
      '.gitignore': 'ignored.log\n',
      'README.md': `${readme.join('\n')}\n`,
      'ignored.log': 'noise\n',
      'image.bin': Buffer.from([0, 1, 2, 3, 0, 255]),
      'src/main.ts': 'export const main = 1;\n',
      'src/util.ts': 'export const util = 2;\n',
      ...Object.fromEntries(
        Array.from({ length: 450 }, (_, index) => [`big/f${String(index).padStart(3, '0')}.txt`, '']),
      ),
    });
    writeFileSync(join(other, 'elsewhere.txt'), 'other workspace\n');
    daemon = await startDaemon();
    client = await daemon.connect();
    workspace = (await client.call('workspace_add', { path: root })).workspace;
    otherWorkspace = (await client.call('workspace_add', { path: other })).workspace;
    lists = recordLists(client);
    app = renderWatched(<Harness client={client} generation={1} workspace={workspace} />);
  });

  after(async () => {
    app?.unmount();
    client?.close();
    await cleanup(daemon);
    work.remove();
  });

  it('lists the root, folders first, without listing any folder inside', async () => {
    const frame = await app.waitFor((text) => text.includes('README.md'), 'the root listing');
    const names = lines(frame)
      .map((line) => /^│(?:▸ | {2})(\S+)/.exec(line)?.[1])
      .filter((name) => name !== undefined);
    assert.deepEqual(names, ['.git/', 'big/', 'src/', '.gitignore', 'README.md', 'ignored.log', 'image.bin']);
    assert.deepEqual(lists.paths, ['.']);
  });

  it('opens a folder lazily with Enter and closes it with ←', async () => {
    await app.press('j', 'j', '\r');
    let frame = await app.waitFor((text) => text.includes('main.ts'), 'the src folder open');
    assert.match(frame, /│▾ src\//);
    assert.match(frame, /│ {4}main\.ts/);
    assert.match(frame, /│ {4}util\.ts/);
    assert.deepEqual(lists.paths, ['.', 'src']);
    await app.press(LEFT);
    frame = await app.waitFor((text) => !text.includes('main.ts'), 'the src folder closed');
    assert.match(frame, /│▸ src\//);
    await app.press(RIGHT);
    await app.waitFor((text) => text.includes('main.ts'), 'open again');
    assert.deepEqual(lists.paths, ['.', 'src'], 'opened again from what was loaded');
  });

  it('pages through a big folder, loading the next page when its end comes into view', async () => {
    await app.press('k', '\r');
    await app.waitFor((text) => text.includes('f000.txt'), 'the big folder open');
    // The first page, and a row that stands for the rest until it scrolls into view.
    const bigLists = () => lists.paths.filter((path) => path === 'big').length;
    assert.equal(bigLists(), 1);
    /** Pages down until `near` is on screen, then moves a row at a time until `text` is. */
    const scrollUntil = async (near: string, text: string) => {
      for (let presses = 0; presses < 250 && !app.frame().includes(text); presses++) {
        const before = app.frame();
        await app.press(app.frame().includes(near) ? 'j' : ' ');
        await app.waitFor((frame) => frame !== before, 'a move down');
      }
      return app.waitFor((frame) => frame.includes(text), text);
    };
    await scrollUntil('f190.txt', '… 250 more');
    await app.waitFor((text) => text.includes('f200.txt'), 'the second page, where the row was');
    assert.equal(bigLists(), 2);
    await scrollUntil('f390.txt', '… 50 more');
    await app.waitFor((text) => text.includes('f400.txt'), 'the third page, where the row was');
    await app.press('G');
    const frame = await app.waitFor((text) => text.includes('f449.txt'), 'the last page');
    assert.doesNotMatch(frame, /more/);
    assert.equal(bigLists(), 3, 'three pages of 200');
    // Folded again, so the rest of the test sees the short tree.
    await app.press('g', 'j', LEFT);
    await app.waitFor((text) => text.includes('▸ big/') && text.includes('README.md'), 'big folded');
  });

  it('views a file with numbered lines, scrolls it, and cuts long lines to the pane', async () => {
    await app.press('g', 'j', 'j', 'j', 'j', 'j', 'j', '\r');
    let frame = await app.waitFor((text) => text.includes('lines 1–18 of 30'), 'the viewer');
    assert.match(frame, /│README\.md/);
    assert.ok(numbered(frame, 1, 'line 1'), frame);
    assert.ok(numbered(frame, 2, 'line 2'), frame);
    assert.ok(numbered(frame, 18, 'line 18'), frame);
    assert.ok(!numbered(frame, 19, 'line 19'), 'one page only');
    assert.match(frame, /lines 1–18 of 30/);
    assert.doesNotMatch(frame, /END/, 'the long line is cut at the pane');
    assert.ok(
      lines(frame).every((line) => line.length <= 60 || line.startsWith('[')),
      'nothing wider than the pane',
    );
    await app.press('j', 'j');
    frame = await app.waitFor((text) => text.includes('lines 3–20 of 30'), 'two lines down');
    assert.ok(numbered(frame, 3, 'line 3 xxx'));
    await app.press('G');
    frame = await app.waitFor((text) => text.includes('lines 13–30 of 30'), 'the last page');
    assert.ok(numbered(frame, 30, 'line 30'));
    await app.press('g', 'l', 'l', 'l');
    frame = await app.waitFor((text) => text.includes('END'), 'scrolled right to the end of the long line');
    await app.press('h', 'h', 'h', ESC);
    await app.waitFor((text) => text.includes('[files]'), 'the list again');
  });

  it('says a binary file is binary instead of showing its bytes', async () => {
    await app.press('j', 'j', '\r');
    const frame = await app.waitFor((text) => text.includes('Binary file'), 'the binary notice');
    assert.match(frame, /Binary file, 6 bytes: not shown\./);
    await app.press('e');
    await app.waitFor((text) => text.includes('not edited here'), 'no editor for binary files');
    // A lone Escape waits to see whether a sequence follows, so the next key waits for the list.
    await app.press(ESC);
    await app.waitFor((text) => text.includes('[files]'), 'the list again');
    await app.press('k', 'k');
  });

  it('edits a file (typing, a paste with newlines, Enter, Backspace) and saves it with the raw Ctrl-S byte', async () => {
    await app.press('e');
    // Typing waits for the text: keys typed while the file is still loading are dropped.
    await app.waitFor(
      (text) => text.includes('README.md · editing') && text.includes('line 1/30'),
      'the editor, the file loaded',
    );
    // q and 1 are global keys elsewhere; in the editor they are text.
    await app.press('q', '1', 'X', '\u007f', ' ');
    let frame = await app.waitFor((text) => numbered(text, 1, 'q1 line 1'), 'the typed text');
    assert.match(frame, /README\.md · modified · editing/);
    await app.press(END, 'pasted\nfrom\rclipboard');
    await app.press('\r', 'typed');
    frame = await app.waitFor((text) => text.includes('typed'), 'the paste and the new line');
    assert.ok(numbered(frame, 1, 'q1 line 1pasted'), frame);
    assert.ok(numbered(frame, 2, 'from'), frame);
    assert.ok(numbered(frame, 3, 'clipboard'), frame);
    assert.ok(numbered(frame, 4, 'typed'), frame);
    assert.ok(numbered(frame, 5, 'line 2'), frame);
    await app.press(CTRL_S);
    frame = await app.waitFor((text) => text.includes('saved README.md'), 'the save');
    assert.doesNotMatch(frame, /modified/);
    const disk = readFileSync(join(root, 'README.md'), 'utf8');
    assert.equal(disk, ['q1 line 1pasted', 'from', 'clipboard', 'typed', ...readme.slice(1), ''].join('\n'));
  });

  it('shows a conflict when the file changed on disk, and overwrite saves yours', async () => {
    await app.press(HOME, 'mine ');
    await app.waitFor((text) => text.includes('modified'), 'edited');
    writeFileSync(join(root, 'README.md'), 'theirs\n');
    await app.press(CTRL_S);
    let frame = await app.waitFor((text) => text.includes('Changed on disk!'), 'the conflict banner');
    assert.match(frame, /\[conflict\]/);
    assert.match(frame, /o overwrite with yours · r reload theirs/);
    await app.press('o');
    frame = await app.waitFor((text) => text.includes('[editor]') && !text.includes('modified'), 'overwritten');
    const disk = readFileSync(join(root, 'README.md'), 'utf8').split('\n');
    assert.deepEqual(disk.slice(0, 5), ['q1 line 1pasted', 'from', 'clipboard', 'mine typed', 'line 2']);
  });

  it('shows a conflict, and reload drops your edits for what is on disk', async () => {
    await app.press('more ');
    await app.waitFor((text) => text.includes('modified'), 'edited');
    writeFileSync(join(root, 'README.md'), 'theirs again\nsecond\n');
    await app.press(CTRL_S);
    await app.waitFor((text) => text.includes('Changed on disk!'), 'the conflict banner');
    await app.press('r');
    const frame = await app.waitFor((text) => numbered(text, 1, 'theirs again'), 'their version');
    assert.ok(numbered(frame, 2, 'second'));
    assert.doesNotMatch(frame, /modified/);
    assert.equal(readFileSync(join(root, 'README.md'), 'utf8'), 'theirs again\nsecond\n');
  });

  it('reloads the open file when it changes on disk and holds no edits', async () => {
    await app.press(ESC);
    await app.waitFor((text) => text.includes('[viewer]'), 'the viewer');
    writeFileSync(join(root, 'README.md'), 'rewritten behind the tab\n');
    await app.waitFor((text) => numbered(text, 1, 'rewritten behind the tab'), 'the new content');
  });

  it('marks files that change on disk until they are viewed; new files appear, marked', async () => {
    await app.press(ESC);
    await app.waitFor((text) => text.includes('[files]'), 'the list');
    writeFileSync(join(root, 'src', 'util.ts'), 'export const util = 3;\n');
    writeFileSync(join(root, 'fresh.txt'), 'new\n');
    let frame = await app.waitFor(
      (text) => /util\.ts \*/.test(text) && /fresh\.txt \*/.test(text),
      'the changed and the new file marked',
    );
    assert.match(frame, /▾ src\/ \*/, 'the folder holding a change is marked too');
    assert.doesNotMatch(frame, /README\.md \*/, 'the file viewed when it changed is not marked');
    await app.press('g', 'j', 'j', 'j', 'j', '\r');
    frame = await app.waitFor((text) => numbered(text, 1, 'export const util = 3;'), 'util.ts viewed');
    await app.press(ESC);
    frame = await app.waitFor((text) => text.includes('[files]'), 'the list');
    assert.doesNotMatch(frame, /util\.ts \*/);
    assert.match(frame, /fresh\.txt \*/);
  });

  it('keeps edits that were not saved when the editor is left, marked in the title and the tree', async () => {
    // util.ts is open already, so the editor shows it at once while it is read again; the edit
    // below can land before that read does. The read used to replace the doc and drop the edit.
    await app.press('e');
    await app.waitFor(
      (text) => text.includes('util.ts · editing') && text.includes('line 1/1'),
      'util.ts in the editor',
    );
    await app.press('draft ');
    await app.waitFor((text) => numbered(text, 1, 'draft export const util = 3;'), 'the edit');
    await app.press(ESC);
    let frame = await app.waitFor((text) => text.includes('[viewer]'), 'the viewer');
    assert.match(frame, /util\.ts · modified/);
    await app.press(ESC);
    frame = await app.waitFor((text) => text.includes('[files]'), 'the list');
    assert.match(frame, /util\.ts \+/);
    assert.match(frame, /unsaved: src\/util\.ts/);
    assert.equal(readFileSync(join(root, 'src', 'util.ts'), 'utf8'), 'export const util = 3;\n', 'not written');
  });

  it('subscribes again after a reconnection (a new generation)', async () => {
    const fresh = await daemon.connect();
    const freshLists = recordLists(fresh);
    const srcListed = freshLists.next('src');
    app.rerender(<Harness client={fresh} generation={2} workspace={workspace} />);
    client.close();
    client = fresh;
    // The open folders are listed again on the new connection, which watches them for it from then on.
    await srcListed;
    writeFileSync(join(root, 'src', 'main.ts'), 'export const main = 2;\n');
    await app.waitFor((text) => /main\.ts \*/.test(text), 'a change seen on the new connection');
  });

  it('starts over when another workspace is selected, and says so when none is', async () => {
    await app.press('\r');
    await app.waitFor((text) => text.includes('util.ts · modified'), 'the file with its edits, as it was left');
    app.rerender(<Harness client={client} generation={2} workspace={otherWorkspace} />);
    const frame = await app.waitFor((text) => text.includes('elsewhere.txt'), 'the other workspace');
    assert.match(frame, /\[files\]/);
    assert.doesNotMatch(frame.split('└')[0]!, /README/, 'nothing of the first workspace in the pane');
    app.rerender(<Harness client={client} generation={2} workspace={undefined} />);
    await app.waitFor((text) => text.includes('Select a workspace'), 'the hint');
  });
});
