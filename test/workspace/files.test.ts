import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  chownSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Client } from '../../src/client/client.js';
import type { FsChange, FsEntry } from '../../src/protocol/workspace-types.js';
import { asNobody, NOBODY } from '../helpers/as-nobody.js';
import { cleanup, type DaemonHandle, startDaemon, tempDir } from '../helpers/daemon.js';
import { makeRepo } from '../helpers/git-repo.js';
import { NotificationLog } from '../helpers/notifications.js';

const sha256 = (bytes: string | Buffer) => createHash('sha256').update(bytes).digest('hex');

/** inotify watches the daemon holds: the lines of its inotify descriptors' fdinfo (Linux). */
/**
 * inotify watches the process holds on files and directories under `dir`. Only those: the
 * daemon watches files of its own too (its WAL), from a moment no test controls.
 */
function inotifyWatches(pid: number, dir: string): number {
  const inodes = inodesUnder(dir);
  let count = 0;
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      if (!readlinkSync(`/proc/${pid}/fd/${fd}`).includes('inotify')) continue;
      const info = readFileSync(`/proc/${pid}/fdinfo/${fd}`, 'utf8');
      for (const [, ino] of info.matchAll(/^inotify wd:\S+ ino:([0-9a-f]+)/gm)) {
        if (inodes.has(parseInt(ino!, 16))) count++;
      }
    } catch {
      // Closed while we looked.
    }
  }
  return count;
}

/** The inode numbers of `dir` and of everything under it. */
function inodesUnder(dir: string): Set<number> {
  const inodes = new Set([lstatSync(dir).ino]);
  for (const entry of readdirSync(dir, { recursive: true, encoding: 'utf8' })) {
    try {
      inodes.add(lstatSync(join(dir, entry)).ino);
    } catch {
      // Gone meanwhile.
    }
  }
  return inodes;
}

describe('workspace files: list, read, write, stat, confinement, watching, access', () => {
  const root = tempDir('cortex-files-');
  const repo = join(root.path, 'repo');
  const outside = join(root.path, 'outside');
  let daemon: DaemonHandle;
  let client: Client;
  let ws: string;

  before(async () => {
    // nobody must be able to reach its own directory in here (mkdtemp makes it 0700).
    chmodSync(root.path, 0o711);
    mkdirSync(repo);
    mkdirSync(outside);
    writeFileSync(join(outside, 'secret.txt'), 'outside the workspace\n');
    makeRepo(repo, {
      'a.txt': 'alpha\n',
      'src/main.ts': 'export const x = 1;\n',
      '.gitignore': '*.log\nbuild/\n',
      'image.bin': Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x00, 0x01, 0xff]),
      'big.txt': 'x'.repeat(5000),
    });
    writeFileSync(join(repo, 'debug.log'), 'ignored\n');
    mkdirSync(join(repo, 'build'));
    writeFileSync(join(repo, 'build', 'out.js'), '');
    symlinkSync(outside, join(repo, 'link-out'));
    symlinkSync(join(outside, 'secret.txt'), join(repo, 'link-secret'));
    symlinkSync(join(outside, 'not-yet.txt'), join(repo, 'dangling-out'));
    symlinkSync('src/main.ts', join(repo, 'link-in'));
    // The suite runs as root; a second user (nobody) needs to reach the socket: share it with nogroup.
    daemon = await startDaemon({
      args: ['--group', 'nogroup', '--node-name', 'a'],
      config: { fs_read_max_bytes: 4096 },
    });
    client = await daemon.connect();
    ws = (await client.call('workspace_add', { path: repo })).workspace.id;
  });
  after(async () => {
    client.close();
    await cleanup(daemon);
    root.remove();
  });

  it('lists one directory: directories first, with type, size, mtime and whether git ignores it', async () => {
    const listing = await client.call('fs_list', { workspace: ws, path: '.' });
    const byName = new Map(listing.entries.map((entry: FsEntry) => [entry.name, entry]));
    assert.deepEqual(
      listing.entries.slice(0, 3).map((entry: FsEntry) => entry.name),
      ['.git', 'build', 'src'],
    );
    assert.equal(listing.total, listing.entries.length);
    assert.equal(listing.next, null);
    assert.deepEqual(
      { ...byName.get('a.txt'), mtime: 0 },
      { name: 'a.txt', type: 'file', size: 6, mtime: 0, ignored: false },
    );
    assert.equal(byName.get('a.txt')!.mtime, Math.floor(statSync(join(repo, 'a.txt')).mtimeMs));
    assert.equal(byName.get('link-out')!.type, 'symlink');
    for (const ignored of ['.git', 'debug.log', 'build']) assert.equal(byName.get(ignored)!.ignored, true, ignored);
    for (const kept of ['src', 'a.txt', '.gitignore']) assert.equal(byName.get(kept)!.ignored, false, kept);
    const page = await client.call('fs_list', { workspace: ws, path: '.', offset: 1, limit: 2 });
    assert.deepEqual(
      page.entries.map((entry: FsEntry) => entry.name),
      ['build', 'src'],
    );
    assert.equal(page.next, 3);
    const nested = await client.call('fs_list', { workspace: ws, path: 'build' });
    assert.deepEqual(
      nested.entries.map((entry: FsEntry) => [entry.name, entry.ignored]),
      [['out.js', true]],
    );
  });

  it('reads text with its hash, detects binary files, and refuses files over the size limit', async () => {
    const text = await client.call('fs_read', { workspace: ws, path: 'src/main.ts' });
    assert.equal(text.content, 'export const x = 1;\n');
    assert.equal(text.binary, false);
    assert.equal(text.hash, sha256('export const x = 1;\n'));
    const binary = await client.call('fs_read', { workspace: ws, path: 'image.bin' });
    assert.equal(binary.binary, true);
    assert.deepEqual(Buffer.from(binary.content as Uint8Array), readFileSync(join(repo, 'image.bin')));
    await assert.rejects(client.call('fs_read', { workspace: ws, path: 'big.txt' }), {
      code: 'ETOOBIG',
      message: 'big.txt is 5000 bytes, over the fs_read limit of 4096 bytes.',
    });
    await assert.rejects(client.call('fs_read', { workspace: ws, path: 'src' }), { code: 'EINVAL' });
    await assert.rejects(client.call('fs_read', { workspace: ws, path: 'nope.txt' }), {
      code: 'ENOTFOUND',
      message: 'nope.txt does not exist in the workspace.',
    });
    const inside = await client.call('fs_read', { workspace: ws, path: 'link-in' });
    assert.equal(inside.content, 'export const x = 1;\n', 'a symlink that stays inside is followed');
  });

  it('writes with an expected hash: a stale hash is a conflict and nothing is overwritten', async () => {
    const read = await client.call('fs_read', { workspace: ws, path: 'a.txt' });
    // Another process changes the file after the client read it.
    execFileSync('sh', ['-c', `printf 'changed elsewhere\\n' > a.txt`], { cwd: repo });
    await assert.rejects(
      client.call('fs_write', { workspace: ws, path: 'a.txt', content: 'mine\n', expected_hash: read.hash }),
      (error: Error & { code?: string }) => {
        assert.equal(error.code, 'ECONFLICT');
        assert.match(
          error.message,
          /^a\.txt changed since it was read \(its hash is now [0-9a-f]{12}\.\.\.\); read it again before writing\.$/,
        );
        return true;
      },
    );
    assert.equal(readFileSync(join(repo, 'a.txt'), 'utf8'), 'changed elsewhere\n');

    const fresh = await client.call('fs_read', { workspace: ws, path: 'a.txt' });
    const written = await client.call('fs_write', {
      workspace: ws,
      path: 'a.txt',
      content: 'mine\n',
      expected_hash: fresh.hash,
    });
    assert.deepEqual([written.created, written.hash, written.size], [false, sha256('mine\n'), 5]);
    assert.equal(readFileSync(join(repo, 'a.txt'), 'utf8'), 'mine\n');

    await assert.rejects(client.call('fs_write', { workspace: ws, path: 'a.txt', content: 'blind\n' }), {
      code: 'ECONFLICT',
      message: 'a.txt already exists: read it and pass its hash as expected_hash to replace it.',
    });
    const created = await client.call('fs_write', { workspace: ws, path: 'new/dir/file.txt', content: 'new\n' });
    assert.equal(created.created, true);
    assert.equal(readFileSync(join(repo, 'new/dir/file.txt'), 'utf8'), 'new\n');
    await assert.rejects(
      client.call('fs_write', { workspace: ws, path: 'gone.txt', content: 'x', expected_hash: sha256('x') }),
      { code: 'ECONFLICT', message: 'gone.txt was deleted since it was read; nothing was written.' },
    );
    const { stat } = await client.call('fs_stat', { workspace: ws, path: 'new/dir/file.txt' });
    assert.deepEqual([stat.type, stat.size, stat.mode, stat.ignored], ['file', 4, 0o644, false]);
    const link = await client.call('fs_stat', { workspace: ws, path: 'link-in' });
    assert.deepEqual([link.stat.type, link.stat.target], ['symlink', 'src/main.ts']);
  });

  it('refuses every path that leads outside the workspace: .., absolute paths, symlinks out', async () => {
    const escapes = [
      '..',
      '../outside/secret.txt',
      'src/../../outside/secret.txt',
      '/etc/passwd',
      join(outside, 'secret.txt'),
      'link-out',
      'link-out/secret.txt',
      'link-secret',
      'dangling-out',
      'link-out/new.txt',
    ];
    for (const path of escapes) {
      const calls: [string, () => Promise<unknown>][] = [
        ['fs_read', () => client.call('fs_read', { workspace: ws, path })],
        ['fs_stat', () => client.call('fs_stat', { workspace: ws, path })],
        ['fs_list', () => client.call('fs_list', { workspace: ws, path })],
        ['fs_write', () => client.call('fs_write', { workspace: ws, path, content: 'pwned\n' })],
      ];
      for (const [method, call] of calls) {
        await assert.rejects(call(), (error: Error & { code?: string }) => {
          assert.equal(error.code, 'EACCES', `${method} ${path}: ${error.message}`);
          assert.match(error.message, /absolute path|leads outside the workspace/);
          return true;
        });
      }
    }
    assert.deepEqual(
      readdirSync(outside),
      ['secret.txt'],
      'nothing was created outside (not through the dangling link either)',
    );
    assert.equal(readFileSync(join(outside, 'secret.txt'), 'utf8'), 'outside the workspace\n');
  });

  it('watches what a subscriber looks at and reports files another process creates', async () => {
    const watcher = await daemon.connect();
    const log = new NotificationLog(watcher);
    const baseline = inotifyWatches(daemon.process.pid!, root.path);
    try {
      await watcher.call('subscribe', { topic: `fs:${ws}` });
      await watcher.call('fs_list', { workspace: ws, path: '.' });
      const changes = () =>
        log.of('fs_change').flatMap((params) => (params as unknown as { changes: FsChange[] }).changes);
      const seen = (path: string) => () => changes().find((change) => change.path === path);

      // Not watched: .git and node_modules, and directories nobody listed.
      execFileSync(
        'sh',
        [
          '-c',
          'mkdir -p node_modules/pkg other && echo x > node_modules/pkg/index.js && echo x > .git/cortex-test && echo x > src/unlisted.ts',
        ],
        { cwd: repo },
      );
      execFileSync('sh', ['-c', 'echo made by another process > created.txt'], { cwd: repo });
      assert.deepEqual(await log.until(seen('created.txt'), 'created.txt'), { path: 'created.txt', kind: 'add' });
      const note = log.of('fs_change')[0] as { workspace: string };
      assert.equal(note.workspace, ws);

      await watcher.call('fs_list', { workspace: ws, path: 'src' });
      execFileSync('sh', ['-c', 'echo later >> src/main.ts && echo y > src/listed.ts'], { cwd: repo });
      assert.deepEqual(await log.until(seen('src/listed.ts'), 'src/listed.ts'), { path: 'src/listed.ts', kind: 'add' });
      assert.deepEqual(await log.until(seen('src/main.ts'), 'src/main.ts'), { path: 'src/main.ts', kind: 'change' });
      const paths = changes().map((change) => change.path);
      for (const unseen of ['node_modules', 'node_modules/pkg/index.js', '.git/cortex-test', 'src/unlisted.ts']) {
        assert.ok(!paths.includes(unseen), `${unseen} should not be reported: ${paths.join(' ')}`);
      }
      assert.ok(inotifyWatches(daemon.process.pid!, root.path) > baseline, 'watching while subscribed');
    } finally {
      await watcher.call('unsubscribe', { topic: `fs:${ws}` });
      await watcher.call('ping', {});
      assert.equal(
        inotifyWatches(daemon.process.pid!, root.path),
        baseline,
        'the last subscriber left: no watches remain',
      );
      watcher.close();
    }
  });

  it("keeps a workspace to its owner: nobody may not read, write, list or diff root's workspace", async () => {
    const denied = [['fs', 'cat', 'src/main.ts'], ['fs', 'ls'], ['fs', 'stat', 'a.txt'], ['diff']];
    for (const args of denied) {
      const result = await asNobody(['--home', daemon.home, ...args, '--workspace', ws]);
      assert.equal(result.code, 5, `${args.join(' ')}: ${result.stderr}`);
      assert.match(result.stderr, /user:nobody@a may not use the workspace .* \(it belongs to user:root@a\)/);
    }
    const write = await asNobody(['--home', daemon.home, 'fs', 'write', 'evil.txt', '--workspace', ws], 'evil\n');
    assert.equal(write.code, 5, write.stderr);
    assert.equal(existsSync(join(repo, 'evil.txt')), false);
    const adopt = await asNobody(['--home', daemon.home, 'fs', 'ls', '--cwd', repo]);
    assert.equal(adopt.code, 5);
    assert.match(adopt.stderr, /user:nobody@a may not make a workspace of .*: it belongs to uid 0/);
  });

  it("acts with the caller's own file permissions in the caller's workspace", async () => {
    const home = join(root.path, 'nobody-home');
    mkdirSync(home);
    chownSync(home, NOBODY, NOBODY);
    writeFileSync(join(home, 'root-only.txt'), 'root only\n');
    chmodSync(join(home, 'root-only.txt'), 0o600);
    const nobody = (...args: string[]) => asNobody(['--home', daemon.home, ...args, '--cwd', home]);
    const write = await asNobody(['--home', daemon.home, 'fs', 'write', 'mine.txt', '--cwd', home], 'by nobody\n');
    assert.equal(write.code, 0, write.stderr);
    const stats = statSync(join(home, 'mine.txt'));
    assert.deepEqual([stats.uid, stats.gid], [NOBODY, NOBODY], 'a new file belongs to its writer');
    assert.equal((await nobody('fs', 'cat', 'mine.txt')).stdout, 'by nobody\n');
    const secret = await nobody('fs', 'cat', 'root-only.txt');
    assert.equal(secret.code, 5);
    assert.match(secret.stderr, /nobody may not read root-only\.txt \(file permissions\)/);
  });
});
