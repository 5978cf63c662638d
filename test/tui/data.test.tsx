import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { connectUnix } from '../../src/client/client.js';
import type { Client } from '../../src/client/client.js';
import { cleanup, type DaemonHandle, startDaemon, tempDir } from '../helpers/daemon.js';
import { renderApp } from './helpers/app.js';
import { type Rendered, renderWatched } from './helpers/frames.js';
import { tui } from './helpers/shipped.js';

const { App, ConnectionProvider, FIRST_PAGE, LAST_PAGE, nextPlace, pageRows, parseQuery, previousPlace } = tui;

const ENTER = '\r';
const ESCAPE = '\u001b';
const BACKSPACE = '\u007f';
const PEOPLE = 250;

describe('Data tab pieces', () => {
  it('pages by cursors from the start and from the end, and numbers the rows shown', () => {
    const second = nextPlace(FIRST_PAGE, 'c1');
    assert.deepEqual(second, { from: 'start', cursors: ['c1'] });
    assert.equal(nextPlace(FIRST_PAGE, null), undefined, 'no page after the last');
    assert.deepEqual(previousPlace(second, 'c2'), FIRST_PAGE);
    assert.equal(previousPlace(FIRST_PAGE, 'c1'), undefined, 'no page before the first');
    // From the end, the cursor `all` returned leads backwards.
    const beforeLast = previousPlace(LAST_PAGE, 'z1');
    assert.deepEqual(beforeLast, { from: 'end', cursors: ['z1'] });
    assert.deepEqual(nextPlace(beforeLast, 'z2'), LAST_PAGE);
    assert.equal(nextPlace(LAST_PAGE, 'z1'), undefined);
    assert.equal(pageRows(second, 10, 10, 25), 'rows 11–20 of 25');
    assert.equal(pageRows(LAST_PAGE, 5, 10, 25), 'rows 21–25 of 25');
    assert.equal(pageRows(beforeLast, 10, 10, 1_000_000), 'rows 999,981–999,990 of 1,000,000');
  });

  it('reads the query box as cortex query does, with one sentence for a mistake', () => {
    assert.deepEqual(parseQuery(' {"team":"blue","n":{"$gt":3}} '), { pattern: { team: 'blue', n: { $gt: 3 } } });
    assert.deepEqual(parseQuery(''), { pattern: {} });
    const bad = parseQuery('{"team":');
    assert.ok('error' in bad && /^The query is not valid JSON \(.+\)\.$/.test(bad.error), JSON.stringify(bad));
    assert.deepEqual(parseQuery('[1]'), { error: 'The query must be a JSON object, such as {"status":"open"}.' });
  });
});

/** The Data tab in the whole App, against a real daemon with real tables. */
describe('Data tab against a real daemon', () => {
  const work = tempDir('cortex-tui-data-');
  let daemon: DaemonHandle;
  let control: Client;
  let token: string;
  let app: Rendered | undefined;

  before(async () => {
    daemon = await startDaemon();
    control = await daemon.connect();
    await control.call('create_table', { name: 'people', attributes: ['id', 'name', 'team'], indexes: ['team'] });
    await control.call('create_table', { name: 'secret', attributes: ['k', 'v'] });
    const records = Array.from({ length: PEOPLE }, (_, index) => ({
      id: index + 1,
      name: `person-${String(index + 1).padStart(3, '0')}`,
      team: index % 5 === 0 ? 'blue' : 'red',
    }));
    await control.call('put_many', { table: 'people', records });
    await control.call('put', { table: 'secret', record: { k: 'a', v: 1 } });
    ({ token } = await control.call('token_create', { name: 'reader' }));
    const other = await daemon.connect();
    const { identity } = await other.call('auth', { token });
    other.close();
    await control.call('acl_grant', { identity, table: 'people', permissions: ['read'] });
  });

  after(async () => {
    app?.unmount();
    control?.close();
    await cleanup(daemon);
    work.remove();
  });

  it('lists the tables with policy, key, indexes, record count, owner and grants', async () => {
    app = renderApp(daemon.socket, work.path, { columns: 120, rows: 30 });
    await app.waitFor((text) => text.includes('Events'), 'the workbench');
    await app.press('7');
    const frame = await app.waitFor((text) => /people +local +id +team +250 /.test(text), 'people with its count');
    assert.match(frame, /Data · 2 table\(s\) you can read/);
    assert.match(frame, /secret +local +k +- +1 /);
    assert.match(frame, /grants \(1\):/);
    assert.match(frame, /token:reader@\S+ read/);
  });

  it('pages through the records by cursor, forwards, to the end and back', async () => {
    assert.ok(app);
    await app.press(ENTER);
    let frame = await app.waitFor((text) => /people · rows 1–\d+ of 250/.test(text), 'the first page');
    const size = Number(/rows 1–(\d+) of 250/.exec(frame)![1]);
    assert.match(frame, /id +name +team/);
    assert.match(frame, /1 +person-001 +blue/);
    await app.press('n');
    frame = await app.waitFor((text) => text.includes(`rows ${size + 1}–${2 * size} of 250`), 'the second page');
    assert.match(frame, new RegExp(`person-${String(size + 1).padStart(3, '0')}`));
    await app.press('G');
    frame = await app.waitFor((text) => text.includes(`rows ${250 - size + 1}–250 of 250`), 'the last page');
    assert.match(frame, /250 +person-250 +red/);
    await app.press('n');
    await app.waitFor((text) => text.includes('This is the last page.'), 'no page after the last');
    await app.press('p');
    await app.waitFor((text) => text.includes(`rows ${250 - 2 * size + 1}–${250 - size} of 250`), 'back from the end');
    await app.press('g');
    await app.waitFor((text) => text.includes(`rows 1–${size} of 250`), 'the first page again');
  });

  it('opens a record as JSON and goes back', async () => {
    assert.ok(app);
    await app.press('j', ENTER);
    const frame = await app.waitFor((text) => text.includes('people · record 2'), 'the second record');
    assert.match(frame, /"name": "person-002",/);
    assert.match(frame, /"team": "red"/);
    await app.press(ESCAPE);
    await app.waitFor((text) => /people · rows 1–/.test(text), 'the page again');
  });

  it('runs a query typed as cortex query takes it, and says in one sentence what is wrong with bad JSON', async () => {
    assert.ok(app);
    await app.press('/', ...'{"team":');
    await app.press(ENTER);
    await app.waitFor((text) => text.includes('The query is not valid JSON ('), 'the sentence for bad JSON');
    await app.press(...'"blue"}', ENTER);
    // 50 match; the page holds what fits and says there are more.
    const frame = await app.waitFor((text) => /people · \d+ matched \(more match/.test(text), 'the query');
    assert.match(frame, /106 +person-106 +blue/);
    assert.doesNotMatch(frame, /person-\d+ +red/);
    await app.press(ESCAPE);
    await app.waitFor((text) => /people · rows 1–/.test(text), 'the pages again once the query is cleared');
    // The backspace key erases in the box, and Esc closes it.
    await app.press('/', 'x', BACKSPACE);
    await app.waitFor((text) => text.includes('/ █'), 'an empty box');
    await app.press(ESCAPE);
  });

  it('shows a record written elsewhere while the table is open (table:NAME)', async () => {
    assert.ok(app);
    await control.call('put', { table: 'people', record: { id: 0, name: 'newcomer', team: 'green' } });
    const frame = await app.waitFor((text) => /0 +newcomer +green/.test(text), 'the new record on the first page');
    assert.match(frame, /1 +person-001/);
    await app.waitFor((text) => /people · rows 1–\d+ of 251/.test(text), 'the count with the new record');
  });

  it('shows an administrator the tokens and the mesh peers', async () => {
    assert.ok(app);
    await app.press(ESCAPE, 'a');
    const frame = await app.waitFor((text) => text.includes('Tokens (1)'), 'the tokens');
    assert.match(frame, /reader +user:root@\S+/);
    assert.match(frame, /Mesh peers of \S+ \(0\)/);
    await app.press(ESCAPE);
    app.unmount();
    app = undefined;
  });

  it('shows another identity only what it may read, and a sentence instead of the administrators view', async () => {
    const connect = async () => {
      const client = await connectUnix(daemon.socket);
      await client.call('auth', { token });
      return client;
    };
    app = renderWatched(
      <ConnectionProvider connect={connect}>
        <App cwd={work.path} />
      </ConnectionProvider>,
      { columns: 100, rows: 24 },
    );
    await app.waitFor((text) => text.includes('Events'), 'the workbench');
    await app.press('7');
    let frame = await app.waitFor((text) => /people +local +id +team +\d+/.test(text), 'the table it may read');
    assert.match(frame, /Data · 1 table\(s\) you can read/);
    assert.doesNotMatch(frame, /secret/);
    await app.press('a');
    frame = await app.waitFor((text) => text.includes('administrators only'), 'the sentence');
    assert.match(frame, /Tokens and mesh peers are shown to this node's administrators only\./);
    assert.doesNotMatch(frame, /EACCES|Error|at .*\.js/);
  });
});
