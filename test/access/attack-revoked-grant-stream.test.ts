import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Client } from '../../src/client/client.js';
import { connectTls } from '../../src/client/remote.js';
import type { Lagged, TableChange } from '../../src/protocol/notifications.js';
import { homePaths } from '../../src/paths.js';
import { initCa, tlsPaths } from '../../daemon/tls/certificate-authority.js';
import { cleanup, type DaemonHandle, startDaemon, tempDir } from '../helpers/daemon.js';

/**
 * The attack: a table's owner grants a token read (`acl grant token:reader secrets read`), the
 * token subscribes to `table:secrets`, and the owner takes the grant back (`acl revoke`). Every
 * later read is refused, but the subscription, judged once, went on sending each change. The
 * stream is a read that lasts: it ends when the right to read goes, told why with its cursor.
 */
describe('attack: a table stream after its reader’s grant is revoked', () => {
  const home = tempDir('cortex-attack-revoked-grant-');
  let daemon: DaemonHandle;
  let admin: Client;
  let reader: Client;
  let writer: Client;

  before(async () => {
    await initCa(homePaths(home.path).configDir);
    daemon = await startDaemon({ home: home.path, args: ['--listen', '127.0.0.1:0', '--node-name', 'a'] });
    const address = /tls listening on (\S+)/.exec(daemon.stderr())![1]!;
    const ca = tlsPaths(homePaths(daemon.home).configDir).caCert;
    admin = await daemon.connect();
    await admin.call('create_table', { name: 'secrets', attributes: ['k'] });
    const asToken = async (name: string) =>
      connectTls({ address, ca, token: (await admin.call('token_create', { name })).token });
    reader = await asToken('reader');
    writer = await asToken('writer');
  });
  after(async () => {
    reader.close();
    writer.close();
    admin.close();
    await cleanup(daemon);
  });

  it('ends the stream of a reader whose read is revoked, and of no other', async () => {
    for (const token of ['token:reader', 'token:writer']) {
      await admin.call('acl_grant', { identity: token, table: 'secrets', permissions: ['read', 'write'] });
    }
    const seen = { reader: [] as string[], writer: [] as string[] };
    const lagged: Lagged[] = [];
    reader.onNotification('table_change', (change: TableChange) => seen.reader.push(String(change.key)));
    writer.onNotification('table_change', (change: TableChange) => seen.writer.push(String(change.key)));
    reader.onNotification('lagged', (note) => lagged.push(note));
    await reader.call('subscribe', { topic: 'table:secrets' });
    await writer.call('subscribe', { topic: 'table:secrets' });
    await admin.call('put', { table: 'secrets', record: { k: 'before' } });

    // Write is taken back: reading goes on.
    await admin.call('acl_revoke', { identity: 'token:reader', table: 'secrets', permissions: ['write'] });
    await admin.call('put', { table: 'secrets', record: { k: 'may still read' } });
    await reader.call('ping', {});
    assert.deepEqual(seen.reader, ['before', 'may still read']);
    assert.equal(lagged.length, 0, JSON.stringify(lagged));

    await admin.call('acl_revoke', { identity: 'token:reader', table: 'secrets' });
    await admin.call('put', { table: 'secrets', record: { k: 'after' } });
    // Whatever the daemon sent each before these answers has arrived.
    await Promise.all([reader.call('ping', {}), writer.call('ping', {})]);
    assert.deepEqual(seen.reader, ['before', 'may still read'], 'the reader read the table after its grant went');
    assert.deepEqual(seen.writer, ['before', 'may still read', 'after']);
    assert.equal(lagged.length, 1, JSON.stringify(lagged));
    assert.equal(lagged[0]!.topic, 'table:secrets');
    assert.match(lagged[0]!.reason, /token:reader@a may not read secrets/);
    assert.equal(typeof lagged[0]!.cursor, 'number');
  });
});
