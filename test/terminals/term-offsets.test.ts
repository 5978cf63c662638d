import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Client } from '../../src/client/client.js';
import { cleanup, type DaemonHandle, startDaemon, tempDir } from '../helpers/daemon.js';
import { eventually } from '../mesh/mesh-helpers.js';

/** Resolves with the next term_output of `id` on `client`. */
function nextOutput(client: Client, id: string): Promise<{ data: Uint8Array; offset: number }> {
  return new Promise((resolve) => {
    const off = client.onNotification('term_output', (output) => {
      if (output.id !== id) return;
      off();
      resolve(output);
    });
  });
}

/**
 * A terminal's output has byte offsets, as a session's events have seqs: each
 * term_output says where its bytes start, term_attach where its scrollback
 * ends, and `after` answers with only the bytes held since an offset (how a
 * viewer cut off takes its stream up again).
 */
describe('terminal output offsets', () => {
  const dir = tempDir('cortex-term-offsets-');
  let daemon: DaemonHandle;
  let client: Client;
  let workspace: string;

  before(async () => {
    daemon = await startDaemon();
    client = await daemon.connect();
    workspace = (await client.call('workspace_add', { path: dir.path })).workspace.id;
  });
  after(async () => {
    for (const { id } of (await client.call('term_list', {})).terminals) await client.call('term_close', { id });
    client.close();
    await cleanup(daemon);
    dir.remove();
  });

  it('numbers output from the scrollback’s end and answers after an offset with what followed it', async () => {
    const { id } = await client.call('term_open', { workspace, command: ['/bin/cat'] });
    const first = await client.call('term_attach', { id });
    assert.equal(first.offset, first.scrollback.length);
    const echoed = nextOutput(client, id);
    await client.call('term_write', { id, data: 'one\n' });
    const output = await echoed;
    assert.equal(output.offset, first.offset, 'the first output starts where the scrollback ended');
    // The echo and cat's answer may come in one notification or two: a bounded poll for both.
    await eventually('the echo and the answer in the scrollback', async () => {
      const { scrollback } = await client.call('term_attach', { id, after: first.offset });
      return Buffer.from(scrollback).toString() === 'one\r\none\r\n' || undefined;
    });
    await client.call('term_detach', { id });
    const again = await client.call('term_attach', { id, after: first.offset });
    assert.equal(Buffer.from(again.scrollback).toString(), 'one\r\none\r\n');
    assert.equal(again.offset, first.offset + again.scrollback.length);
    const none = await client.call('term_attach', { id, after: again.offset });
    assert.equal(none.scrollback.length, 0, 'nothing after the end');

    await assert.rejects(
      client.call('term_attach', { id, after: again.offset + 1 }),
      (error: Error & { code?: string }) => {
        assert.equal(error.code, 'EINVAL');
        assert.match(error.message, /^after \d+ is past the output of t_[0-9a-f]+ \(\d+ bytes so far\)\.$/);
        return true;
      },
    );
  });
});
