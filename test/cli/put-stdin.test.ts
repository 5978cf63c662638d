import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { runCortex } from '../helpers/cli.js';
import { cleanup, type DaemonHandle, startDaemon } from '../helpers/daemon.js';

const lines = (text: string) => text.trim().split('\n').filter(Boolean);

describe('cortex put TABLE - reads its record from standard input', () => {
  let daemon: DaemonHandle;
  const cortex = (args: string[], input?: string) => runCortex(['--home', daemon.home, ...args], { input });

  before(async () => {
    daemon = await startDaemon();
    assert.equal((await cortex(['create_table', 'notes', 'id,text'])).code, 0);
  });
  after(() => cleanup(daemon));

  it('writes a record larger than a command line can hold', async () => {
    const text = 'é'.repeat(300_000);
    const result = await cortex(['put', 'notes', '-'], JSON.stringify({ id: 'big', text }));
    assert.equal(result.code, 0, result.stderr);
    const got = await cortex(['get', 'notes', 'big']);
    assert.equal((JSON.parse(got.stdout) as { text: string }).text, text);
  });

  it('takes one pretty-printed object, or JSON lines all or nothing', async () => {
    const pretty = await cortex(['put', 'notes', '-'], '{\n  "id": "pretty",\n  "text": "indented"\n}\n');
    assert.equal(pretty.code, 0, pretty.stderr);
    const ok = await cortex(['put', 'notes', '-', '--json'], '{"id":"l1","text":"a"}\n{"id":"l2","text":"b"}\n');
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(ok.stdout, '{"ok":true,"count":2}\n');
    const bad = await cortex(['put', 'notes', '-'], '{"id":"l3","text":"c"}\n{"text":"no key"}\n');
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /^cortex put: Line 2 of standard input: The record's id, the key of notes, must be/);
    assert.equal((await cortex(['get', 'notes', 'l3'])).code, 3, 'line 1 was not written either');
    const ids = lines((await cortex(['all', 'notes'])).stdout).map((line) => (JSON.parse(line) as { id: string }).id);
    assert.deepEqual(ids, ['big', 'l1', 'l2', 'pretty']);
  });
});
