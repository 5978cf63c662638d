import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import type { Client } from '../../src/client/client.js';
import { CORTEX_BIN, cleanup, type DaemonHandle, startDaemon, tempDir } from '../helpers/daemon.js';
import { TmuxScreen } from './helpers/tmux.js';

/** The table the tab must stay responsive on; CORTEX_DATA_RECORDS makes it smaller on a machine too slow to fill it. */
const RECORDS = Number(process.env['CORTEX_DATA_RECORDS'] ?? 1_000_000);
const BATCH = 10_000;
/** What the TUI process may hold after paging to the end of the table. */
const RSS_LIMIT = 150 * 1024 * 1024;

function rssOf(pid: number): number {
  const match = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  assert.ok(match, `no VmRSS for ${pid}`);
  return Number(match[1]) * 1024;
}

const counted = RECORDS.toLocaleString('en-US');

/**
 * The Data tab on a table of a million records, as a person meets it in
 * tmux at 80×24 and 200×50: the count, the first page, the last page and
 * paging, with the TUI's resident memory read from /proc after paging to the
 * end. The time from the key to the first page is recorded, not asserted
 * (bench/README.md has the figures): it depends on the machine's load.
 */
describe(`the Data tab on a ${counted}-record table, in tmux`, () => {
  const work = tempDir('cortex-tui-data-');
  let daemon: DaemonHandle;
  let control: Client;
  const screens: TmuxScreen[] = [];

  before(async () => {
    daemon = await startDaemon();
    control = await daemon.connect();
    await control.call('create_table', { name: 'big', attributes: ['id', 'name', 'n'], indexes: ['n'] });
    const started = Date.now();
    for (let from = 0; from < RECORDS; from += BATCH) {
      const records = Array.from({ length: Math.min(BATCH, RECORDS - from) }, (_, index) => ({
        id: from + index,
        name: `record-${from + index}`,
        n: (from + index) % 100,
      }));
      await control.call('put_many', { table: 'big', records }, { timeoutMs: 0 });
    }
    console.log(`filled ${counted} records in ${Date.now() - started} ms`);
  });

  after(async () => {
    for (const screen of screens) await screen.kill();
    control?.close();
    await cleanup(daemon);
    work.remove();
  });

  for (const [width, height] of [
    [80, 24],
    [200, 50],
  ] as const) {
    it(`at ${width}×${height}: the count, the first page on Enter, the last page on G, within ${RSS_LIMIT / 2 ** 20} MB`, async () => {
      const screen = await TmuxScreen.start([process.execPath, CORTEX_BIN, '--home', daemon.home, 'tui'], {
        width,
        height,
      });
      screens.push(screen);
      await screen.waitForScreen((text) => text.includes('● connected'), 'the workbench');
      const pid = await screen.pid();
      const idle = rssOf(pid);
      await screen.press('7');
      await screen.waitForScreen((text) => text.includes(counted), 'the table with its count', 60_000);

      const pressed = performance.now();
      await screen.press('Enter');
      let text = await screen.waitForScreen((shown) => /big · rows 1–\d+/.test(shown), 'the first page', 30_000);
      const firstPageMs = performance.now() - pressed;
      console.log(`${width}×${height}: first page ${firstPageMs.toFixed(0)} ms after Enter (tmux polled every 20 ms)`);
      const size = Number(/rows 1–(\d+)/.exec(text)![1]);
      assert.match(text, /id +name +n/);
      assert.match(text, /0 +record-0 +0/);
      // Nothing pushed the status bar off the screen: it is still the last row.
      assert.match(text.trimEnd().split('\n').at(-1) ?? '', /● connected/);

      await screen.press('n');
      await screen.waitForScreen((shown) => shown.includes(`rows ${size + 1}–`), 'the second page', 30_000);
      await screen.press('G');
      const last = (RECORDS - 1).toString();
      text = await screen.waitForScreen(
        (shown) => shown.includes(`–${counted} of ${counted}`),
        'the last page',
        30_000,
      );
      assert.match(text, new RegExp(`${last} +record-${last} `));
      // Back and forth near the end: each page is read by its cursor, none is kept.
      for (let step = 0; step < 5; step++) await screen.press('p');
      await screen.waitForScreen(
        (shown) => shown.includes(`–${(RECORDS - 5 * size).toLocaleString('en-US')} of`),
        'five pages back',
        30_000,
      );
      for (let step = 0; step < 5; step++) await screen.press('n');
      await screen.waitForScreen((shown) => shown.includes(`–${counted} of ${counted}`), 'the end again', 30_000);

      const rss = rssOf(pid);
      const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MB`;
      console.log(`${width}×${height}: TUI resident memory ${mb(idle)} before the table, ${mb(rss)} at its end`);
      assert.ok(rss < RSS_LIMIT, `the TUI holds ${(rss / 2 ** 20).toFixed(1)} MB`);
      await screen.press('q');
      assert.equal(await screen.waitForExit(), 0);
    });
  }
});
