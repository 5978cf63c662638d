import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { runCortex } from '../helpers/cli.js';
import { cleanup, startDaemon } from '../helpers/daemon.js';

describe('the daemon process', () => {
  it('stops cleanly on SIGTERM: exit 0, socket and lock removed, database closed, log written', async () => {
    const daemon = await startDaemon();
    try {
      const client = await daemon.connect();
      await client.call('create_table', { name: 't', attributes: ['k'] });
      await client.call('put', { table: 't', record: { k: 'a' } });
      client.close();
      assert.equal(await daemon.stop(), 0);
      assert.equal(existsSync(daemon.socket), false);
      assert.equal(existsSync(join(daemon.dataDir, 'daemon.lock')), false);
      assert.equal(
        existsSync(join(daemon.dataDir, 'cortex.db-wal')),
        false,
        'closing the database checkpoints the WAL',
      );
      const log = readFileSync(join(daemon.dataDir, 'cortexd.log'), 'utf8');
      assert.match(log, /listening on/);
      assert.match(log, /SIGTERM received, stopping/);
      assert.match(log, /cortexd stopped/);
    } finally {
      await cleanup(daemon);
    }
  });

  it('refuses a second daemon on the same home with a clear message', async () => {
    const daemon = await startDaemon();
    try {
      const second = await runCortex(['daemon', '--home', daemon.home]);
      assert.notEqual(second.code, 0);
      assert.match(second.stderr, /Another cortex daemon \(pid \d+\) is already running/);
      assert.equal(second.stderr.trim().split('\n').length, 1, 'one sentence, no stack trace');
      const client = await daemon.connect();
      assert.deepEqual(await client.call('ping', {}), { pong: true });
      client.close();
    } finally {
      await cleanup(daemon);
    }
  });

  it('takes over the lock and socket a killed daemon left behind', async () => {
    const first = await startDaemon();
    await first.kill();
    assert.equal(existsSync(join(first.dataDir, 'daemon.lock')), true, 'kill -9 leaves the lock');
    const second = await startDaemon({ home: first.home });
    try {
      const client = await second.connect();
      const status = await client.call('status', {});
      assert.equal(status.pid, second.process.pid);
      client.close();
    } finally {
      await cleanup(second);
    }
  });

  it('reports status: version, node, pid, uptime, paths, tables and connections', async () => {
    const daemon = await startDaemon({ args: ['--node-name', 'alpha'] });
    try {
      const a = await daemon.connect();
      const b = await daemon.connect();
      await a.call('create_table', { name: 'one', attributes: ['k'] });
      const status = await b.call('status', {});
      assert.equal(status.node, 'alpha');
      assert.equal(status.pid, daemon.process.pid);
      assert.equal(status.socket, daemon.socket);
      assert.equal(status.data_dir, daemon.dataDir);
      assert.equal(status.tables, 1);
      assert.equal(status.connections, 2);
      assert.match(status.version, /^\d+\.\d+\.\d+/);
      assert.ok(status.uptime_ms >= 0);
      assert.equal(typeof status.identity, 'string');
      a.close();
      b.close();
    } finally {
      await cleanup(daemon);
    }
  });

  it('refuses to start with a bad config file, saying which setting is wrong', async () => {
    const result = await startDaemon({ config: { max_message_bytes: 'lots' } }).then(
      async (daemon) => {
        await cleanup(daemon);
        return 'started';
      },
      (error: Error) => error.message,
    );
    assert.match(result, /max_message_bytes must be an integer/);
  });
});
