import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type Client, connectUnix } from '../../src/client/client.js';
import type { SessionEventsView } from '../../tui/hooks/use-session-events.js';
import { type Rendered, renderWatched } from './helpers/frames.js';
import { tui } from './helpers/shipped.js';
import { cleanup, type DaemonHandle, startDaemon, tempDir } from '../helpers/daemon.js';
import { SessionWatch } from '../helpers/session-watch.js';

const { ConnectionProvider, Text, useSessionEvents, WINDOW_EVENTS } = tui;

/**
 * The events window against a real daemon: it pages older and newer events in
 * and never holds more than WINDOW_EVENTS, however far it is moved.
 */
describe('useSessionEvents', () => {
  const work = tempDir('cortex-tui-window-');
  let daemon: DaemonHandle;
  let control: Client;
  let session: string;
  let lastSeq: number;
  let view: SessionEventsView | undefined;
  let renders: (() => void)[] = [];
  let instance: Rendered | undefined;

  function Probe({ id }: { id: string }) {
    view = useSessionEvents(id);
    for (const wake of renders) wake();
    return <Text>{view.events.length}</Text>;
  }

  /** Resolves once a render satisfies `predicate`. */
  function until(predicate: (shown: SessionEventsView) => boolean, what: string): Promise<SessionEventsView> {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (view && predicate(view)) {
          renders = renders.filter((wake) => wake !== check);
          clearTimeout(timer);
          resolve(view);
        }
      };
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), 20_000);
      renders.push(check);
      check();
    });
  }

  before(async () => {
    const path = join(work.path, 'ws');
    mkdirSync(path);
    daemon = await startDaemon();
    control = await daemon.connect();
    const { workspace } = await control.call('workspace_add', { path });
    const started = await control.call('session_start', {
      workspace: workspace.id,
      provider: 'fake',
      prompt: `/stream ${WINDOW_EVENTS + 1500}`,
    });
    session = started.session.id;
    const watch = await SessionWatch.start(control, session);
    await watch.turnEnd(1);
    const subscribed = await control.call('subscribe', { topic: `session:${session}` });
    lastSeq = subscribed.last_seq ?? 0;
    const socket = daemon.socket;
    instance = renderWatched(
      <ConnectionProvider connect={() => connectUnix(socket)}>
        <Probe id={session} />
      </ConnectionProvider>,
    );
  });

  after(async () => {
    instance?.unmount();
    control?.close();
    await cleanup(daemon);
    work.remove();
  });

  it('starts with the newest page, pages older in up to the limit, then drops the newest', async () => {
    let shown = await until((v) => v.events.at(-1)?.seq === lastSeq, 'the newest page');
    assert.equal(shown.hasNewer, false);
    while (shown.hasOlder) {
      const first = shown.events[0]!.seq;
      shown.loadOlder();
      shown = await until((v) => v.events[0]!.seq < first, 'an older page');
      assert.ok(shown.events.length <= WINDOW_EVENTS, `${shown.events.length} events held`);
    }
    assert.equal(shown.events[0]!.seq, 1);
    assert.equal(shown.hasNewer, true, 'the newest were dropped to stay within the limit');
    assert.ok(shown.events.at(-1)!.seq < lastSeq);
  });

  it('pages newer events back in, and once at the tail takes live events again', async () => {
    let shown = view!;
    while (shown.hasNewer) {
      const last = shown.events.at(-1)!.seq;
      shown.loadNewer();
      shown = await until((v) => v.events.at(-1)!.seq > last || !v.hasNewer, 'a newer page');
      assert.ok(shown.events.length <= WINDOW_EVENTS);
    }
    assert.equal(shown.events.at(-1)!.seq, lastSeq);
    await control.call('session_send', { session, prompt: 'live after paging' });
    shown = await until(
      (v) =>
        v.events.some((event) => event.type === 'agent_message' && event.payload.text.includes('live after paging')),
      'the live reply',
    );
    const seqs = shown.events.map((event) => event.seq);
    assert.ok(
      seqs.every((seq, index) => index === 0 || seq === seqs[index - 1]! + 1),
      'no gap or repeat',
    );
  });

  it('jumps to the head and back to the tail', async () => {
    let shown = view!;
    shown.toHead();
    shown = await until((v) => v.events[0]?.seq === 1, 'the head');
    assert.equal(shown.hasNewer, true);
    shown.toTail();
    shown = await until((v) => !v.hasNewer, 'the tail');
    assert.ok(shown.events.at(-1)!.seq > lastSeq);
  });
});
