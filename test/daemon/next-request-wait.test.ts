import assert from 'node:assert/strict';
import { closeSync } from 'node:fs';
import { once } from 'node:events';
import { connect } from 'node:net';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { describe, it } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { AddonReads } from '../../src/native/addon-reads.js';
import { loadNativeAddon, type NativeAddon } from '../../src/native/addon.js';
import { tempDir } from '../helpers/daemon.js';
import { bounded } from '../protocol/raw-client.js';

const addon = loadNativeAddon();
/** The addon, in tests that are skipped without it. */
const native = (): NativeAddon => addon as NativeAddon;
/** The longest wait the addon takes: longer than the timer below, so the timer is what ends it. */
const WAIT_MICROS = 1_000_000;
const WINDOW_MS = 150;

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
    await withReadSocket(new AddonReads(native(), WAIT_MICROS), async (received, send) => {
      send('ping');
      await bounded(received, 'the read');
      const start = performance.eventLoopUtilization();
      await delay(WINDOW_MS);
      const { utilization } = performance.eventLoopUtilization(start);
      assert.ok(utilization > 0.5, `the loop slept through the wait (utilization ${utilization.toFixed(3)})`);
    });
  });

  it('lets the loop sleep when nothing was read, and without a wait', async () => {
    for (const reads of [new AddonReads(native(), WAIT_MICROS), new AddonReads(native())]) {
      await withReadSocket(reads, async (received, send) => {
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

/** Runs `body` with a Unix socket read by `reads`: `received` settles at its first read, `send` writes to it. */
async function withReadSocket(
  reads: AddonReads,
  body: (received: Promise<void>, send: (text: string) => void) => Promise<void>,
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
    let readDone!: () => void;
    const received = new Promise<void>((resolve) => (readDone = resolve));
    const target = {
      received: (result: number) => {
        if (result > 0) readDone();
      },
    };
    const reading = reads.start(target, fd, Buffer.alloc(64));
    try {
      await body(received, (text) => client.write(text));
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
