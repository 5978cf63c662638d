import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statfsSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { CortexError } from '../../src/protocol/errors.js';
import type { Client } from '../../src/client/client.js';
import { cleanup, type DaemonHandle, startDaemon } from '../helpers/daemon.js';

const CLIENTS = 16;
const RECORD = Buffer.alloc(16 * 1024, 5);

/** What one client's puts came to: the keys acknowledged, and the keys refused with their codes. */
interface Outcome {
  acknowledged: string[];
  refused: Map<string, string>;
}

/** Puts until the first refusal (or 200 puts), answered one after another, as a client in a loop. */
async function putUntilRefused(client: Client, name: string): Promise<Outcome> {
  const outcome: Outcome = { acknowledged: [], refused: new Map() };
  for (let n = 0; n < 200; n++) {
    const id = `${name}-${n}`;
    try {
      await client.call('put', { table: 'blobs', record: { id, data: RECORD } });
      outcome.acknowledged.push(id);
    } catch (error) {
      outcome.refused.set(id, error instanceof CortexError ? error.code : String(error));
      break;
    }
  }
  return outcome;
}

/**
 * A real full disk under 16 clients putting at once (a tmpfs home, as test/daemon/enospc.test.ts;
 * the suite runs as root). The disk fills in the middle of their turns: every put answered with
 * success must be there after kill -9 and a restart with room, and every put refused with ENOSPC
 * must not be ("the write was not saved and nothing was changed").
 */
describe('a disk that fills under 16 clients', () => {
  it('answers each put with a success that survives kill -9 or an error that changed nothing', async () => {
    const mount = mkdtempSync(join(tmpdir(), 'cortex-full-clients-'));
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', mount]);
    const home = join(mount, 'home');
    let daemon: DaemonHandle | undefined;
    try {
      daemon = await startDaemon({ home });
      const setup = await daemon.connect();
      await setup.call('create_table', { name: 'blobs', attributes: ['id', 'data'] });
      setup.close();
      const free = statfsSync(mount).bavail * statfsSync(mount).bsize;
      writeFileSync(join(mount, 'filler'), Buffer.alloc(Math.max(0, free - 800 * 1024)));

      const clients = await Promise.all(Array.from({ length: CLIENTS }, () => daemon!.connect()));
      const outcomes = await Promise.all(clients.map((client, index) => putUntilRefused(client, `c${index}`)));
      for (const client of clients) client.close();
      const refused = outcomes.flatMap((outcome) => [...outcome.refused]);
      assert.ok(refused.length > 0, 'the disk never filled up');
      for (const [id, code] of refused) assert.ok(code === 'ENOSPC' || code === 'ECLOSED', `${id}: ${code}`);

      await daemon.kill();
      unlinkSync(join(mount, 'filler'));
      daemon = await startDaemon({ home });
      const reader = await daemon.connect();
      for (const outcome of outcomes) {
        for (const id of outcome.acknowledged) {
          const { record } = await reader.call('get', { table: 'blobs', key: id });
          assert.ok(record, `${id} was acknowledged and then lost`);
        }
        for (const [id, code] of outcome.refused) {
          // A request whose connection closed unanswered may or may not have been written.
          if (code !== 'ENOSPC') continue;
          const { record } = await reader.call('get', { table: 'blobs', key: id });
          assert.equal(record, null, `${id} was refused with ENOSPC and is there all the same`);
        }
      }
      reader.close();
    } finally {
      await daemon?.kill();
      execFileSync('umount', [mount]);
      rmSync(mount, { recursive: true, force: true });
      if (daemon) await cleanup({ ...daemon, home });
    }
  });
});
