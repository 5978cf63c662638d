import assert from 'node:assert/strict';
import { closeSync, readFileSync } from 'node:fs';
import { once } from 'node:events';
import { connect } from 'node:net';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { describe, it } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { AddonReads } from '../../src/native/addon-reads.js';
import { loadNativeAddon, type NativeAddon } from '../../src/native/addon.js';
import type { Client } from '../../src/client/client.js';
import { cleanup, startDaemon, tempDir } from '../helpers/daemon.js';
import { bounded } from '../protocol/raw-client.js';

const addon = loadNativeAddon();
/** The addon, in tests that are skipped without it. */
const native = (): NativeAddon => addon as NativeAddon;
/** The longest wait the addon takes: longer than the timer below, so the timer is what ends it. */
const WAIT_MICROS = 1_000_000;
const WINDOW_MS = 150;
/** Windows looked at before the first test gives up. */
const TRIES = 5;

/**
 * After a turn that handed reads on, the addon's reader keeps the event loop awake for a moment before it
 * sleeps in epoll_wait, watching for the next request (daemon/native/cortex_native.c, on_reader_prepare):
 * a client awaiting each answer then finds the daemon awake, and the wake-up of a sleeping CPU, the largest
 * part of a round trip on a virtual machine, is gone. Node's event-loop utilization counts the time the
 * loop sleeps in epoll_wait as idle, and everything else as active, so the wait shows there: a loop that
 * just handed a read on is active until its next timer, which bounds the wait; a loop that read nothing
 * sleeps as before.
 */
describe('the wait for the next request', { skip: 'missing' in addon ? addon.missing : false }, () => {
  it('keeps the loop awake after a turn that handed a read on, until the next timer', async () => {
    // Anything else ready on the loop (the test runner's own pipe, say) ends a wait early, and the loop then
    // sleeps as usual: so each try reads once and looks at one window, and one try kept awake is the proof.
    // Without the wait no window is (utilization ~0.01 in every one).
    const seen: string[] = [];
    await withReadSocket(new AddonReads(native(), WAIT_MICROS), async (nextRead, send) => {
      for (let attempt = 0; attempt < TRIES && !seen.some((utilization) => Number(utilization) > 0.5); attempt++) {
        const read = nextRead();
        send('ping');
        await bounded(read, 'the read');
        const start = performance.eventLoopUtilization();
        await delay(WINDOW_MS);
        seen.push(performance.eventLoopUtilization(start).utilization.toFixed(3));
      }
    });
    assert.ok(
      seen.some((utilization) => Number(utilization) > 0.5),
      `the loop slept through the wait in every try (utilization ${seen.join(', ')})`,
    );
  });

  it('lets the loop sleep when nothing was read, and without a wait', async () => {
    for (const reads of [new AddonReads(native(), WAIT_MICROS), new AddonReads(native())]) {
      await withReadSocket(reads, async (nextRead, send) => {
        const received = nextRead();
        const start = performance.eventLoopUtilization();
        await delay(WINDOW_MS);
        const { utilization } = performance.eventLoopUtilization(start);
        assert.ok(utilization < 0.5, `the loop stayed awake (utilization ${utilization.toFixed(3)})`);
        // The reads still work.
        send('ping');
        await bounded(received, 'the read');
      });
    }
  });

  it('refuses a wait that is negative or longer than a second', () => {
    for (const micros of [-1, 1_000_001]) {
      assert.throws(() => native().reader(new Int32Array(2), () => undefined, micros), TypeError);
    }
  });
});

/** Runs `body` with a Unix socket read by `reads`: `nextRead()` settles at the next read, `send` writes to it. */
async function withReadSocket(
  reads: AddonReads,
  body: (nextRead: () => Promise<void>, send: (text: string) => void) => Promise<void>,
): Promise<void> {
  const home = tempDir();
  const path = join(home.path, 'wait.sock');
  let accepted!: (fd: number) => void;
  const fdReady = new Promise<number>((resolve) => (accepted = resolve));
  const listener = native().listen(path, (fd) => accepted(fd));
  const client = connect(path);
  let fd = -1;
  try {
    await once(client, 'connect');
    fd = await bounded(fdReady, 'the connection to be accepted');
    let readDone: (() => void) | undefined;
    const nextRead = () => new Promise<void>((resolve) => (readDone = resolve));
    const target = {
      received: (result: number) => {
        if (result > 0) readDone?.();
      },
    };
    const reading = reads.start(target, fd, Buffer.alloc(64));
    try {
      await body(nextRead, (text) => client.write(text));
    } finally {
      reads.stop(reading);
    }
  } finally {
    client.destroy();
    if (fd >= 0) closeSync(fd);
    native().close(listener);
    home.remove();
  }
}

/** The main thread's sleeps so far: a context switch it chose (epoll_wait blocking), not one it was preempted by. */
function sleepsOf(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = /^voluntary_ctxt_switches:\s+(\d+)$/m.exec(status);
  assert.ok(match, `no voluntary_ctxt_switches in /proc/${pid}/status`);
  return Number(match[1]);
}

/**
 * `next_request_wait_us` is the daemon's: 0 turns the wait off, so the daemon sleeps again between a
 * sequential client's requests (a client awaiting each answer cannot send the next before the daemon is
 * back in epoll_wait), and a value past the bound is refused at the start, naming the setting.
 */
describe('next_request_wait_us', { skip: 'missing' in addon ? addon.missing : false }, () => {
  it('0: the daemon sleeps between the requests of a client that awaits each answer', async () => {
    const daemon = await startDaemon({ config: { next_request_wait_us: 0 } });
    let client: Client | undefined;
    try {
      client = await daemon.connect();
      await client.call('create_table', { name: 'kv', attributes: ['k', 'v'] });
      await client.call('put', { table: 'kv', record: { k: 'a', v: 1 } });
      const calls = 300;
      const before = sleepsOf(daemon.process.pid!);
      for (let i = 0; i < calls; i++) await client.call('get', { table: 'kv', key: 'a' });
      const perCall = (sleepsOf(daemon.process.pid!) - before) / calls;
      assert.ok(perCall >= 0.5, `the daemon slept ${perCall.toFixed(2)} times a call: it still waited`);
    } finally {
      client?.close();
      await cleanup(daemon);
    }
  });

  it('refuses a wait past 10 ms, naming the setting', async () => {
    await assert.rejects(
      startDaemon({ config: { next_request_wait_us: 20_000 } }),
      /before listening: .*next_request_wait_us must be an integer from 0 to 10000, not number 20000/s,
    );
  });
});
