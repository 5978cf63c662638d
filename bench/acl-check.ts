import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Database } from 'better-sqlite3';
import { type Client, connectUnix } from '../src/client/client.js';
import { CortexError } from '../src/protocol/errors.js';
import { AccessControl } from '../daemon/access/access-control.js';
import { Authority } from '../daemon/access/authority.js';
import { IdentityMap } from '../daemon/access/identity-map.js';
import { credentialIdentity, type Identity, identityOf, localUser } from '../daemon/identity/identity.js';
import { openDatabase } from '../daemon/store/open-database.js';
import { Store } from '../daemon/store/store.js';
import { pin } from './affinity.js';
import { ATTRIBUTES, key, readOrder, record, TABLE } from './workload.js';

/**
 * The cost of namespaced identity checks on the get path, against the rule of
 * before (flat names, `admin` fixed on the identity), in one run:
 *
 * 1. In process, ns per read check for four callers: the daemon's owner (an
 *    administrator), a table's owner, a granted identity, and a remote identity
 *    mapped onto a local user. The anchor is the old rule, written out here as
 *    it was (`identity.admin`, then the owner, then the grant).
 * 2. End to end, with BENCH_ACL_BASELINE=DIR (the `dist` of a build of the code
 *    before, such as main's): sequential gets against a daemon of each build,
 *    rounds alternating, the median of each, and their ratio.
 */
const CHECKS = Number(process.env['BENCH_ACL_CHECKS'] ?? 2_000_000);
const ROUNDS = Number(process.env['BENCH_ACL_ROUNDS'] ?? 5);
const GETS = Number(process.env['BENCH_ACL_GETS'] ?? 15_000);
const KEYS = 10_000;

interface OldIdentity {
  name: string;
  admin: boolean;
}

interface Case {
  what: string;
  now: Identity;
  before: OldIdentity;
}

function inProcess(): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'cortex-acl-bench-'));
  let db: Database | undefined;
  try {
    db = openDatabase(dir, 'normal', { node: 'a' });
    const store = new Store(db, 'a');
    const uid = process.getuid?.() ?? 0;
    const map = new IdentityMap(db, 'a', store.writeApart);
    const authority = new Authority('a', uid, map);
    const access = new AccessControl(db, store.catalog, authority, store.writeApart);
    store.createTable({ name: 'shared', attributes: ['k'], owner: 'user:alice@a' });
    const root = localUser('a', { name: 'root', uid, gid: 0 });
    access.grant(root, 'token:ci', 'shared', ['read']);
    access.grant(root, 'nobody', 'shared', ['read']);
    map.set({ identity: 'user:carol@b', user: 'nobody', mapped_by: root.name, mapped: 0 });
    const cases: Case[] = [
      { what: 'administrator (the daemon’s owner)', now: root, before: { name: 'root', admin: true } },
      // The old rule compared the owner with the name as is: the same strings keep the comparison the same.
      { what: 'the table’s owner', now: identityOf('user:alice@a')!, before: { name: 'user:alice@a', admin: false } },
      { what: 'a granted token', now: credentialIdentity('token', 'ci', 'a'), before: { name: 'ci', admin: false } },
      {
        what: 'a remote identity mapped onto a granted user',
        now: identityOf('user:carol@b')!,
        before: { name: 'nobody', admin: false },
      },
    ];
    // The rule of before, as daemon/access/access-control.ts had it, over the same catalog and
    // grants of the same shape.
    const BITS = { read: 1, write: 2 } as const;
    const grants = new Map([
      ['ci\u0000shared', { perms: 1 }],
      ['nobody\u0000shared', { perms: 1 }],
    ]);
    const before = (identity: OldIdentity, table: string, permission: 'read' | 'write'): void => {
      if (identity.admin) return;
      if (table.startsWith('_')) throw new CortexError('EACCES', 'system table');
      if (store.catalog.handle(table).info.owner === identity.name) return;
      const grant = grants.get(`${identity.name}\u0000${table}`);
      if (grant !== undefined && (grant.perms & BITS[permission]) !== 0) return;
      throw new CortexError('EACCES', 'no read permission');
    };
    const lines: string[] = [];
    for (const { what, now, before: old } of cases) {
      const timesBefore: number[] = [];
      const timesNow: number[] = [];
      for (let round = 0; round < ROUNDS; round++) {
        timesBefore.push(nsPerCall(() => before(old, 'shared', 'read')));
        timesNow.push(nsPerCall(() => access.require(now, 'shared', 'read')));
      }
      const [a, b] = [median(timesBefore), median(timesNow)];
      lines.push(
        `  ${what.padEnd(46)} before ${a.toFixed(1).padStart(6)} ns   now ${b.toFixed(1).padStart(6)} ns   ${b >= a ? '+' : '−'}${Math.abs(b - a).toFixed(1)} ns`,
      );
    }
    return lines;
  } finally {
    db?.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

function nsPerCall(check: () => void): number {
  const start = process.hrtime.bigint();
  for (let i = 0; i < CHECKS; i++) check();
  return Number(process.hrtime.bigint() - start) / CHECKS;
}

function median(values: number[]): number {
  const sorted = [...values].sort((x, y) => x - y);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** A daemon of the build in `dist`, on a fresh home, its table prefilled. */
async function daemonOf(dist: string): Promise<{ client: Client; stop: () => Promise<void> }> {
  const home = mkdtempSync(join(tmpdir(), 'cortex-acl-bench-home-'));
  const child: ChildProcess = spawn(process.execPath, [join(dist, 'bin/cortex.js'), 'daemon', '--home', home], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, CORTEX_HOME: '', CORTEX_SOCKET: '' },
  });
  let log = '';
  await new Promise<void>((done, fail) => {
    child.stderr!.setEncoding('utf8').on('data', (text: string) => {
      log += text;
      if (log.includes('listening on')) done();
    });
    child.once('exit', () => fail(new Error(`the daemon of ${dist} exited: ${log}`)));
  });
  pin(child.pid!, 0);
  const client = await connectUnix(join(home, 'cortex.sock'));
  await client.call('create_table', { name: TABLE, attributes: ATTRIBUTES });
  for (let start = 0; start < KEYS; start += 1000) {
    const records = Array.from({ length: 1000 }, (_, i) => record(key('gg', start + i), start + i));
    await client.call('put_many', { table: TABLE, records });
  }
  return {
    client,
    stop: async () => {
      client.close();
      child.kill('SIGTERM');
      await new Promise((done) => child.once('exit', done));
      rmSync(home, { recursive: true, force: true });
    },
  };
}

async function sequentialGets(client: Client, order: Uint32Array): Promise<number> {
  const start = performance.now();
  for (const index of order) await client.call('get', { table: TABLE, key: key('gg', index) });
  return Math.round(order.length / ((performance.now() - start) / 1000));
}

async function endToEnd(baseline: string): Promise<string[]> {
  pin(process.pid, 1);
  const builds = [
    { name: 'before (BENCH_ACL_BASELINE)', dist: resolve(baseline) },
    { name: 'now', dist: fileURLToPath(new URL('..', import.meta.url)) },
  ];
  const daemons = await Promise.all(builds.map((build) => daemonOf(build.dist)));
  try {
    const order = readOrder(GETS, KEYS);
    const rates: number[][] = builds.map(() => []);
    for (const daemon of daemons) await sequentialGets(daemon.client, readOrder(2000, KEYS, 7));
    for (let round = 0; round < ROUNDS; round++) {
      for (const [index, daemon] of daemons.entries()) rates[index]!.push(await sequentialGets(daemon.client, order));
    }
    const [old, now] = rates.map(median) as [number, number];
    return [
      `  sequential get, ${GETS} per round, ${ROUNDS} rounds alternating (median ops/s; every round):`,
      ...builds.map(
        (build, index) => `    ${build.name.padEnd(28)} ${median(rates[index]!)}   (${rates[index]!.join(' / ')})`,
      ),
      `    now / before: ${(now / old).toFixed(3)}`,
    ];
  } finally {
    await Promise.all(daemons.map((daemon) => daemon.stop()));
  }
}

export async function runAclBench(): Promise<string> {
  const lines = ['Identity checks on the get path (read permission), in process, median of rounds:', ...inProcess()];
  const baseline = process.env['BENCH_ACL_BASELINE'];
  lines.push('', 'End to end:');
  if (baseline === undefined || baseline === '') {
    lines.push('  skipped: set BENCH_ACL_BASELINE to the dist directory of a build of the code before (main).');
  } else {
    lines.push(...(await endToEnd(baseline)));
  }
  return lines.join('\n');
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  runAclBench().then(
    (text) => console.log(text),
    (error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    },
  );
}
