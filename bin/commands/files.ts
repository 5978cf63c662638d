import { resolve } from 'node:path';
import type { Client } from '../../src/client/client.js';
import { CortexError } from '../../src/protocol/errors.js';
import { toJson } from '../../src/json-values.js';
import type { CheckResult, FsEntry, FsListResult, WorkspaceDiff } from '../../src/protocol/workspace-types.js';
import { type CliContext, type Command, line, type OptionValues, withClient } from '../context.js';
import { positiveInteger, required } from '../parse-input.js';
import { allNodes, atNode, NODE_OPTIONS, nodeCell, nodeOption, reportNodes } from '../node-option.js';
import { formatBytes, printTable } from '../table-output.js';

const workspaceOption = { workspace: { type: 'string' }, cwd: { type: 'string' }, ...NODE_OPTIONS } as const;

/** The workspace a command is about: --workspace (id or path), else --cwd or the current directory, registered if new. */
async function workspaceOf(client: Client, options: OptionValues): Promise<string> {
  const named = options['workspace'] as string | undefined;
  if (named !== undefined) return named.startsWith('/') || named.startsWith('ws_') ? named : resolve(named);
  const cwd = options['cwd'] as string | undefined;
  const node = nodeOption(options);
  if (node !== undefined && (cwd === undefined || !cwd.startsWith('/'))) {
    throw new CortexError(
      'EINVAL',
      `With --node ${node}, name the workspace: --workspace ID or --cwd PATH on ${node}.`,
    );
  }
  const path = resolve(cwd ?? process.cwd());
  return (await client.call('workspace_add', { path })).workspace.id;
}

const FS_VERBS = 'ls, cat, stat or write';

export const fsCommand: Command = {
  name: 'fs',
  maxArgs: { ls: 2, list: 2, cat: 2, read: 2, stat: 2, write: 2 },
  usage:
    'fs ls [PATH] | fs cat PATH | fs stat PATH | fs write PATH [--hash H] < CONTENT  [--workspace WS] [--node NAME]',
  summary:
    'Files of a workspace (this directory unless --workspace), paths relative to its root. `fs write` replaces a file only when --hash is the hash `fs cat --json` gave; without it the file must be new.',
  options: { ...workspaceOption, hash: { type: 'string' } },
  async run(context, args, options) {
    const verb = required(args, 0, FS_VERBS);
    await withClient(context, async (daemon) => {
      const client = atNode(daemon, options);
      const workspace = await workspaceOf(client, options);
      switch (verb) {
        case 'ls':
        case 'list': {
          let offset: number | null = 0;
          while (offset !== null) {
            const page: FsListResult = await client.call('fs_list', { workspace, path: args[1] ?? '.', offset });
            for (const entry of page.entries)
              line(context.stdout, context.global.json ? toJson(entry) : entryLine(entry));
            offset = page.next;
          }
          return;
        }
        case 'cat':
        case 'read': {
          const file = await client.call('fs_read', { workspace, path: required(args, 1, 'the path') });
          if (context.global.json) line(context.stdout, toJson(file));
          else context.stdout.write(file.content);
          return;
        }
        case 'stat': {
          const { stat } = await client.call('fs_stat', { workspace, path: required(args, 1, 'the path') });
          line(context.stdout, toJson(stat));
          return;
        }
        case 'write': {
          const result = await client.call('fs_write', {
            workspace,
            path: required(args, 1, 'the path'),
            content: await readAll(context.stdin),
            expected_hash: options['hash'] as string | undefined,
          });
          line(context.stdout, context.global.json ? toJson(result) : result.hash);
          return;
        }
        default:
          throw new CortexError('EINVAL', `fs takes ${FS_VERBS}, not ${JSON.stringify(verb)}.`);
      }
    });
  },
};

export const diffCommand: Command = {
  name: 'diff',
  maxArgs: 0,
  usage: 'diff [--turn SESSION:TURN] [--stat] [--workspace WS] [--node NAME]',
  summary:
    'The workspace against git HEAD (untracked files included), or with --turn exactly what one turn of a session changed.',
  options: { ...workspaceOption, turn: { type: 'string' }, stat: { type: 'boolean' } },
  async run(context, _args, options) {
    await withClient(context, async (daemon) => {
      const client = atNode(daemon, options);
      let diff: WorkspaceDiff;
      const turn = options['turn'] as string | undefined;
      if (turn !== undefined) {
        const match = /^(s_[a-z0-9]+):(\d+)$/.exec(turn);
        if (!match) throw new CortexError('EINVAL', `--turn must be SESSION:TURN, such as s_abc123:2, not ${turn}.`);
        diff = (await client.call('session_turn_diff', { session: match[1]!, turn: Number(match[2]) })).diff;
      } else {
        diff = (await client.call('ws_diff', { workspace: await workspaceOf(client, options) })).diff;
      }
      if (context.global.json) line(context.stdout, toJson(diff));
      else printDiff(context, diff, options['stat'] === true);
    });
  },
};

export const revertCommand: Command = {
  name: 'revert',
  maxArgs: 3,
  usage: 'revert SESSION TURN [PATH] [--node NAME]',
  summary: 'Undo what one turn of a session did to PATH, or to every file it changed; refused if a file changed since.',
  options: NODE_OPTIONS,
  async run(context, args, options) {
    const session = required(args, 0, 'the session id');
    const turn = positiveInteger(required(args, 1, 'the turn'), 'TURN')!;
    const { reverted } = await withClient(context, (daemon) =>
      atNode(daemon, options).call('ws_revert', { session, turn, path: args[2] }),
    );
    for (const path of reverted)
      line(context.stdout, context.global.json ? toJson({ reverted: path }) : `reverted ${path}`);
  },
};

export const checkCommand: Command = {
  name: 'check',
  maxArgs: { run: 1 },
  usage: 'check run [--session ID] [--workspace WS] [--node NAME]',
  summary:
    "Run the project's check commands in the workspace; with --session the results become events of its latest turn. Exits 1 when a check fails.",
  options: { ...workspaceOption, session: { type: 'string' } },
  async run(context, args, options) {
    const verb = required(args, 0, 'run');
    if (verb !== 'run') throw new CortexError('EINVAL', `check takes run, not ${JSON.stringify(verb)}.`);
    const results = await withClient(context, async (daemon) => {
      const client = atNode(daemon, options);
      const session = options['session'] as string | undefined;
      let workspace: string;
      if (session !== undefined && options['workspace'] === undefined && options['cwd'] === undefined) {
        workspace = (await client.call('session_get', { session })).session.workspace;
      } else {
        workspace = await workspaceOf(client, options);
      }
      return (await client.call('check_run', { workspace, session })).results;
    });
    for (const result of results) line(context.stdout, context.global.json ? toJson(result) : checkLine(result));
    return results.every((result) => result.ok) ? 0 : 1;
  },
};

export const worktreeCommand: Command = {
  name: 'worktree',
  maxArgs: { ls: 1, list: 1, rm: 2, remove: 2 },
  usage: 'worktree ls [--all-nodes] | worktree rm WORKSPACE [--force] [--node NAME]',
  summary:
    "Git worktrees that sessions started with --worktree run in, with their disk use; rm removes a stopped session's worktree (--force even with uncommitted changes).",
  options: { force: { type: 'boolean' }, ...NODE_OPTIONS },
  async run(context, args, options) {
    const verb = required(args, 0, 'ls or rm');
    await withClient(context, async (daemon) => {
      const client = atNode(daemon, options);
      if (verb === 'ls' || verb === 'list') {
        const all = allNodes(options);
        const { worktrees, nodes } = await client.call('worktree_list', all ? { nodes: 'all' } : {});
        reportNodes(context.stderr, nodes);
        if (context.global.json) {
          for (const worktree of worktrees) line(context.stdout, toJson(worktree));
        } else if (worktrees.length === 0) {
          line(context.stderr, 'No worktrees: cortex session start --worktree "prompt" makes one.');
        } else {
          printTable(context.stdout, [
            [...(all ? ['NODE'] : []), 'WORKSPACE', 'BRANCH', 'SIZE', 'CHANGES', 'SESSIONS', 'PATH'],
            ...worktrees.map((worktree) => [
              ...(all ? [nodeCell(worktree)] : []),
              worktree.workspace,
              worktree.branch ?? '-',
              formatBytes(worktree.bytes),
              String(worktree.dirty),
              worktree.sessions.map((session) => `${session.id} (${session.status})`).join(', ') || '-',
              worktree.path,
            ]),
          ]);
        }
      } else if (verb === 'rm' || verb === 'remove') {
        const { branch } = await client.call('worktree_remove', {
          workspace: required(args, 1, 'the worktree workspace (id or path)'),
          force: options['force'] === true,
        });
        line(
          context.stdout,
          context.global.json ? toJson({ ok: true, branch }) : `removed; branch ${branch ?? '-'} kept`,
        );
      } else {
        throw new CortexError('EINVAL', `worktree takes ls or rm, not ${JSON.stringify(verb)}.`);
      }
    });
  },
};

function entryLine(entry: FsEntry): string {
  const kind = entry.type === 'directory' ? 'd' : entry.type === 'symlink' ? 'l' : entry.type === 'file' ? '-' : '?';
  const when = new Date(entry.mtime).toISOString().replace('T', ' ').slice(0, 16);
  return `${kind} ${String(entry.size).padStart(10)}  ${when}  ${entry.name}${entry.type === 'directory' ? '/' : ''}${entry.ignored ? '  (ignored)' : ''}`;
}

function printDiff(context: CliContext, diff: WorkspaceDiff, statOnly: boolean): void {
  for (const file of diff.files) {
    const name = file.old_path ? `${file.old_path} => ${file.path}` : file.path;
    if (statOnly) {
      line(context.stdout, `${file.status.padEnd(9)} +${file.added} -${file.removed}  ${name}`);
      continue;
    }
    line(context.stdout, `--- ${file.status === 'added' ? '/dev/null' : `a/${file.old_path ?? file.path}`}`);
    line(context.stdout, `+++ ${file.status === 'deleted' ? '/dev/null' : `b/${file.path}`}`);
    if (file.binary) line(context.stdout, 'Binary file');
    for (const hunk of file.hunks) {
      line(
        context.stdout,
        `@@ -${hunk.old_start},${hunk.old_lines} +${hunk.new_start},${hunk.new_lines} @@${hunk.header ? ` ${hunk.header}` : ''}`,
      );
      for (const text of hunk.lines) line(context.stdout, text);
    }
  }
  line(
    context.stdout,
    `${diff.files.length} file(s) changed, +${diff.added} -${diff.removed}${diff.truncated ? ' (patch truncated)' : ''}`,
  );
}

function checkLine(result: CheckResult): string {
  const status = result.ok ? 'ok  ' : 'FAIL';
  const how = result.exit_code === null ? `signal ${result.signal ?? '?'}` : `exit ${result.exit_code}`;
  const head = `${status} ${result.command}  (${how}, ${result.duration_ms} ms)`;
  return result.ok || result.tail === '' ? head : `${head}\n${result.tail.trimEnd()}`;
}

async function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks);
}
