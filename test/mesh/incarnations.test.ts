import assert from 'node:assert/strict';
import { chmodSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { asNobody } from '../helpers/as-nobody.js';
import { runCortex } from '../helpers/cli.js';
import { NotificationLog } from '../helpers/notifications.js';
import { eventually, type MeshNode, TestMesh } from './mesh-helpers.js';
import { settle } from './table-helpers.js';

interface Listed {
  name: string;
  owner: string;
  incarnation?: string;
  clashes?: { incarnation: string; node: string; owner: string; peer: string }[];
}

interface MeshEventParams {
  type: string;
  peer: string;
  message: string;
  data?: { table?: string; here?: { node: string; owner: string }; there?: { node: string; owner: string } };
}

/** The JSON lines the CLI prints. */
const records = <T = unknown>(stdout: string): T[] =>
  stdout
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as T);

/** A notification's params as the plain JSON value they are. */
const plain = <T>(value: unknown): T => JSON.parse(JSON.stringify(value)) as T;

/** An owner as the log and listings name it: the bare name, or the full identity once identities name their node. */
const who = (name: string, node: string) => `(?:user:)?${name}(?:@${node})?`;

/**
 * A replicated table is an incarnation, not a name: attacks with same-named
 * tables on two real daemons over mutual TLS, with root and nobody as the two
 * users. A remote drop of another table of the name drops nothing here; tables
 * of one name created apart never merge, and each side reports the clash; being
 * first with a name gives no hold on another node's table of that name; dropping
 * one side resolves a clash, and the other side's table then replicates in full,
 * over the live link or with the next one.
 */
describe('tables are incarnations, not names', () => {
  const mesh = new TestMesh();
  let a: MeshNode;
  let b: MeshNode;
  const events = new Map<string, NotificationLog>();
  const root = (node: MeshNode, ...args: string[]) => runCortex(['--home', node.daemon.home, ...args]);
  const nobody = (node: MeshNode, ...args: string[]) => asNobody(['--home', node.daemon.home, ...args]);
  const ok = async (run: Promise<{ code: number | null; stdout: string; stderr: string }>) => {
    const result = await run;
    assert.equal(result.code, 0, result.stderr);
    return result.stdout;
  };
  const listed = async (node: MeshNode, as = root): Promise<Listed[]> =>
    records<Listed>(await ok(as(node, 'tables', '--json')));
  const clashEvent = (node: MeshNode, table: string) =>
    events.get(node.name)!.waitFor((method, params) => {
      const event = plain<MeshEventParams>(params);
      return method === 'mesh_event' && event.type === 'table_clash' && event.data?.table === table;
    }, `a table_clash event for ${table} on ${node.name}`);
  /** Cuts a from b, runs `work` on both sides apart, and links them again. */
  const apart = async (work: () => Promise<void>) => {
    await a.client.call('cluster_disconnect', { node: 'b' });
    await work();
    await a.client.call('cluster_connect', { node: b.address });
  };

  before(async () => {
    await mesh.init();
    // nobody (uid 65534) reaches each daemon's socket through the nogroup group.
    chmodSync(mesh.root, 0o755);
    [a, b] = await Promise.all([
      mesh.start('a', { args: ['--group', 'nogroup'] }),
      mesh.start('b', { args: ['--group', 'nogroup'] }),
    ]);
    for (const node of [a, b]) {
      chmodSync(node.daemon.home, 0o755);
      events.set(node.name, new NotificationLog(node.client));
      await node.client.call('subscribe', { topic: 'mesh:events' });
    }
    await a.connect(b);
    await ok(root(a, 'create_table', 'sentinel', 'id', '--replicate', 'mesh'));
    await settle(a, b);
  });
  after(() => mesh.cleanup());

  it("does not let a remote drop of a same-named mesh table drop b's local table (finding 1)", async () => {
    await ok(root(b, 'create_table', 'vault', 'secret,v'));
    await ok(root(b, 'put', 'vault', '{"secret":"s1","v":"keep"}'));
    await ok(nobody(a, 'create_table', 'vault', 'id,x', '--replicate', 'mesh'));
    await ok(nobody(a, 'put', 'vault', '{"id":"1","x":"mine"}'));
    await ok(nobody(a, 'drop_table', 'vault'));
    // a's drop is in its log before this: once b has the sentinel, it has seen the drop.
    await settle(a, b);
    assert.deepEqual(JSON.parse(await ok(root(b, 'get', 'vault', 's1'))), { secret: 's1', v: 'keep' });
    const [vault] = (await listed(b)).filter((table) => table.name === 'vault');
    assert.match(vault!.owner, new RegExp(`^${who('root', 'b')}$`));
    // Creating and dropping a replicated table is audited where it happens: who, which incarnation, which node.
    assert.match(
      a.daemon.stderr(),
      new RegExp(`audit: ${who('nobody', 'a')} created table vault \\(incarnation a:\\d+, mesh\\) on a`),
    );
    assert.match(
      a.daemon.stderr(),
      new RegExp(
        `audit: ${who('nobody', 'a')} dropped table vault \\(incarnation a:\\d+, mesh, owner ${who('nobody', 'a')}\\) on a`,
      ),
    );
    // b refused a's vault while it existed: another table of the name, reported as a clash.
    await clashEvent(b, 'vault');
  });

  it('never merges same-named tables created apart; both sides report the clash (finding 2)', async () => {
    await apart(async () => {
      await ok(root(b, 'create_table', 'team', 'id,pay', '--replicate', 'mesh'));
      await ok(root(b, 'put', 'team', '{"id":"payroll","pay":100000}'));
      await ok(nobody(a, 'create_table', 'team', 'id,pay', '--replicate', 'mesh'));
      await ok(nobody(a, 'put', 'team', '{"id":"planted","pay":1}'));
    });
    await settle(a, b);
    await settle(b, a);
    // nobody on a reads its own team only: root's payroll, written on b, never reaches it.
    const payroll = await nobody(a, 'get', 'team', 'payroll');
    assert.notEqual(payroll.code, 0, `nobody on a read ${payroll.stdout}`);
    assert.match(payroll.stderr, /team has no record with key "payroll"/);
    assert.deepEqual(records(await ok(root(b, 'all', 'team'))), [{ id: 'payroll', pay: 100000 }]);
    assert.equal((await root(b, 'get', 'team', 'planted')).code === 0, false, "a's record reached b's team");

    // Each side keeps its own owner and marks the clash, naming the other node and owner.
    const [onA] = (await listed(a, nobody)).filter((table) => table.name === 'team');
    const [onB] = (await listed(b)).filter((table) => table.name === 'team');
    assert.match(onA!.owner, new RegExp(`^${who('nobody', 'a')}$`));
    assert.match(onB!.owner, new RegExp(`^${who('root', 'b')}$`));
    assert.notEqual(onA!.incarnation, onB!.incarnation);
    assert.deepEqual(
      onA!.clashes?.map((clash) => [clash.incarnation, clash.node, clash.peer]),
      [[onB!.incarnation, 'b', 'b']],
    );
    assert.deepEqual(
      onB!.clashes?.map((clash) => [clash.incarnation, clash.node, clash.peer]),
      [[onA!.incarnation, 'a', 'a']],
    );
    const table = await root(a, 'tables');
    assert.match(table.stdout, /^TABLE\s+ATTRIBUTES \(KEY FIRST\)\s+INDEXES\s+REPLICATE\s+OWNER\s+CLASH$/m);
    assert.match(
      table.stdout,
      new RegExp(`^team\\s+id,pay\\s+-\\s+mesh\\s+${who('nobody', 'a')}\\s+${who('root', 'b')}'s on b$`, 'm'),
    );
    assert.match(table.stderr, /team clashes with another table of that name on the mesh: neither is merged/);

    // mesh:events and the log say which nodes and which owners.
    for (const [node, other, mine, theirs] of [
      [a, 'b', 'nobody', 'root'],
      [b, 'a', 'root', 'nobody'],
    ] as const) {
      const event = plain<MeshEventParams>((await clashEvent(node, 'team')).params);
      assert.equal(event.peer, other);
      assert.equal(event.data?.here?.node, node.name);
      assert.match(event.data?.here?.owner ?? '', new RegExp(`^${who(mine, node.name)}$`));
      assert.equal(event.data?.there?.node, other);
      assert.match(event.data?.there?.owner ?? '', new RegExp(`^${who(theirs, other)}$`));
      assert.match(
        node.daemon.stderr(),
        new RegExp(
          `table clash: team here is ${node.name}:\\d+ \\(created on ${node.name}, owner ${who(mine, node.name)}\\); ${other} sent ${other}:\\d+ of the same name \\(created on ${other}, owner ${who(theirs, other)}\\)`,
        ),
      );
    }
  });

  it("gives whoever names a table first no hold on another node's table of that name (squatting)", async () => {
    await apart(async () => {
      await ok(nobody(a, 'create_table', 'invoices', 'id,total', '--replicate', 'mesh'));
      await ok(root(b, 'create_table', 'invoices', 'id,total', '--replicate', 'mesh'));
      await ok(root(b, 'put', 'invoices', '{"id":"bill","total":42}'));
    });
    await ok(nobody(a, 'put', 'invoices', '{"id":"forged","total":-1}'));
    await settle(a, b);
    await settle(b, a);
    const [onB] = (await listed(b)).filter((table) => table.name === 'invoices');
    assert.match(onB!.owner, new RegExp(`^${who('root', 'b')}$`));
    assert.deepEqual(records(await ok(root(b, 'all', 'invoices'))), [{ id: 'bill', total: 42 }]);
    const denied = await nobody(b, 'get', 'invoices', 'bill');
    assert.notEqual(denied.code, 0, `nobody read root's invoice on b: ${denied.stdout}`);
    assert.match(denied.stderr, /may not read invoices/);
    assert.notEqual((await nobody(a, 'get', 'invoices', 'bill')).code, 0, "root's invoice reached a");
  });

  it('resolves a clash by dropping one side, after which the other replicates to it in full', async () => {
    const [theirs] = (await listed(a, nobody)).filter((table) => table.name === 'team');
    await ok(root(b, 'drop_table', 'team'));
    assert.match(
      b.daemon.stderr(),
      new RegExp(
        `audit: ${who('root', 'b')} dropped table team \\(incarnation b:\\d+, mesh, owner ${who('root', 'b')}\\) on b`,
      ),
    );
    // b reads a's log again from where it refused a's team: planted, written before the drop, arrives.
    const onB = await eventually("a's team to reach b", async () =>
      (await listed(b)).find((table) => table.name === 'team' && table.incarnation === theirs!.incarnation),
    );
    await settle(b, a);
    assert.match(onB.owner, new RegExp(`^${who('nobody', 'a')}$`));
    assert.deepEqual(onB.clashes, []);
    assert.deepEqual(JSON.parse(await ok(root(b, 'get', 'team', 'planted'))), { id: 'planted', pay: 1 });
    // a hears of the drop of b's team: no clash left there, and its own team untouched.
    const [onA] = (await listed(a, nobody)).filter((table) => table.name === 'team');
    assert.deepEqual(onA!.clashes, []);
    assert.deepEqual(JSON.parse(await ok(nobody(a, 'get', 'team', 'planted'))), { id: 'planted', pay: 1 });
    // And it replicates normally from now on, both ways.
    await ok(root(b, 'put', 'team', '{"id":"later","pay":2}'));
    await settle(b, a);
    assert.deepEqual(JSON.parse(await ok(nobody(a, 'get', 'team', 'later'))), { id: 'later', pay: 2 });
  });

  it('resolves a clash made while the link is down: the other table arrives in full with the next link', async () => {
    await apart(async () => {
      await ok(root(a, 'create_table', 'ledger', 'id,amount', '--replicate', 'mesh'));
      await ok(root(a, 'put', 'ledger', '{"id":"first","amount":1}'));
      await ok(root(b, 'create_table', 'ledger', 'id,amount', '--replicate', 'mesh'));
    });
    await settle(a, b);
    await clashEvent(b, 'ledger');
    const [theirs] = (await listed(a)).filter((table) => table.name === 'ledger');
    await apart(async () => {
      await ok(root(a, 'put', 'ledger', '{"id":"second","amount":2}'));
      await ok(root(b, 'drop_table', 'ledger'));
      await eventually("b's checkpoint of a's log moved back", () =>
        /ledger is no longer in a clash here; a's log is read again after seq \d+/.test(b.daemon.stderr())
          ? true
          : undefined,
      );
    });
    const onB = await eventually("a's ledger to reach b", async () =>
      (await listed(b)).find((table) => table.name === 'ledger' && table.incarnation === theirs!.incarnation),
    );
    assert.deepEqual(onB.clashes, []);
    await settle(a, b);
    assert.deepEqual(records(await ok(root(b, 'all', 'ledger'))), [
      { id: 'first', amount: 1 },
      { id: 'second', amount: 2 },
    ]);
  });
});
