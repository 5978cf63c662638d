import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { UserDirectory } from '../../daemon/identity/user-directory.js';
import { getentLookup, type UserLookup } from '../../daemon/identity/user-lookup.js';

const TTL_MS = 60_000;
/** A group every Debian-like system has, for the account to join. */
const USERS_GID = 100;

/** The real getent and id, counted: a look-up that blocks is one `now`, a background one a `later`. */
function countedLookup(): UserLookup & { blocking: number; background: number } {
  const counted = {
    blocking: 0,
    background: 0,
    now: (query: string, expectedName: string | undefined) => {
      counted.blocking++;
      return getentLookup.now(query, expectedName);
    },
    later: (query: string, expectedName: string | undefined) => {
      counted.background++;
      return getentLookup.later(query, expectedName);
    },
  };
  return counted;
}

/** A directory whose clock the test moves, so an answer goes stale without waiting a minute. */
function directoryWithClock() {
  const clock = { at: 1_000_000 };
  const lookup = countedLookup();
  const directory = new UserDirectory({ ttlMs: TTL_MS, now: () => clock.at, lookup });
  return { directory, lookup, clock };
}

function admin(command: string, ...args: string[]): void {
  execFileSync(command, args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

/**
 * Looking an account up runs getent and id, ~19 ms during which the daemon's
 * event loop stood still when it was done with execFileSync on every expiry.
 * A stale answer is now given at once and refreshed in the background: these
 * tests change a real account (useradd, usermod, userdel; the suite runs as
 * root) and watch what the directory answers before and after the refresh.
 */
describe('the user directory', () => {
  const name = `ctx-${randomBytes(5).toString('hex')}`;

  before(() => admin('useradd', '--no-create-home', '--home-dir', '/nonexistent', '--shell', '/bin/sh', name));
  after(() => {
    try {
      admin('userdel', name);
    } catch {
      // The last test deletes it; this is for a run that failed before.
    }
  });

  it('answers a stale entry without blocking, refreshes it once in the background, and then sees the change', async () => {
    const { directory, lookup, clock } = directoryWithClock();
    const first = directory.byName(name);
    assert.equal(first?.shell, '/bin/sh');
    assert.ok(!first.groups.includes(USERS_GID));
    assert.equal(lookup.blocking, 1, 'an account never asked about is looked up while the caller waits');

    admin('usermod', '--shell', '/bin/bash', '--append', '--groups', 'users', name);
    assert.equal(directory.byName(name)?.shell, '/bin/sh', 'a fresh answer is reused');

    clock.at += TTL_MS;
    const stale = directory.byName(name);
    const again = directory.byName(name);
    // Had either call looked the account up while waiting, it would have seen the new shell.
    assert.equal(stale?.shell, '/bin/sh');
    assert.equal(again?.shell, '/bin/sh');
    assert.equal(lookup.blocking, 1, 'no stale answer blocks');
    assert.equal(lookup.background, 1, 'one refresh per account at a time');

    await directory.settled();
    const refreshed = directory.byName(name);
    assert.equal(refreshed?.shell, '/bin/bash');
    assert.ok(refreshed.groups.includes(USERS_GID), `groups ${refreshed.groups.join(' ')} lack users`);
    assert.equal(directory.byId(refreshed.uid)?.name, name);
    assert.equal(lookup.blocking, 2, 'by uid is an account of its own, asked about once');
    assert.equal(lookup.background, 1, 'a refreshed answer is fresh again');
  });

  it('fails closed: no account is no answer, before and after a refresh, and a deleted account is gone after its refresh', async () => {
    const { directory, lookup, clock } = directoryWithClock();
    const missing = `ctx-missing-${randomBytes(4).toString('hex')}`;
    assert.equal(directory.byName(missing), undefined);
    assert.equal(directory.byName(name)?.name, name);

    admin('userdel', name);
    clock.at += TTL_MS;
    assert.equal(directory.byName(missing), undefined);
    assert.equal(directory.byName(name)?.name, name, 'the stale answer, while its refresh runs');
    await directory.settled();
    assert.equal(directory.byName(missing), undefined);
    assert.equal(directory.byName(name), undefined);
    assert.equal(lookup.blocking, 2);
    assert.equal(lookup.background, 2);
  });

  it('fails closed when the look-up itself fails', async () => {
    const clock = { at: 0 };
    let broken = false;
    const failing: UserLookup = {
      now: (query, expectedName) => getentLookup.now(query, expectedName),
      later: (query, expectedName) =>
        broken ? Promise.reject(new Error('the user database is down')) : getentLookup.later(query, expectedName),
    };
    const directory = new UserDirectory({ ttlMs: TTL_MS, now: () => clock.at, lookup: failing });
    assert.equal(directory.byName('root')?.uid, 0);
    broken = true;
    clock.at += TTL_MS;
    directory.byName('root');
    await directory.settled();
    assert.equal(directory.byName('root'), undefined);
  });
});
