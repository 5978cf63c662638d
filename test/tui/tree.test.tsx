import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { PeerStatus } from '../../src/protocol/mesh-types.js';
import type { TerminalInfo } from '../../src/protocol/terminal-types.js';
import type { StatusResult } from '../../src/protocol/methods.js';
import type { NodeInfo } from '../../src/protocol/tree-types.js';
import type { Project, Workspace } from '../../src/protocol/runtime-types.js';
import type { TreeData, TreeRow } from '../../tui/state/tree.js';
import { session } from './helpers/events.js';
import { lines, renderWatched } from './helpers/frames.js';
import { tui } from './helpers/shipped.js';

const { age, buildTree, formatBytes, rowText, SELECTED_MARK, STATUS_GLYPH, TreePane } = tui;

const NOW = 10_000_000;

const status: StatusResult = {
  version: '0.1.0',
  node: 'laptop',
  pid: 1,
  uptime_ms: 1,
  data_dir: '/data',
  socket: '/sock',
  listen: null,
  mesh_listen: null,
  tables: 0,
  connections: 1,
  identity: 'root',
  max_message_bytes: 16 * 1024 * 1024,
  resources: { load1: 0.42, memory_used: 0.5, disk_free: 5.5 * 1024 ** 3 },
};

const project = (name: string): Project => ({ name, remote: null, checks: [], created: 1 });
const workspace = (id: string, path: string, projectName: string): Workspace => ({
  id,
  node: 'laptop',
  path,
  project: projectName,
  created: 1,
});

function data(overrides: Partial<TreeData> = {}): TreeData {
  return {
    status,
    projects: [project('zeta'), project('alpha')],
    workspaces: [
      workspace('ws_a', '/home/me/src/alpha', 'alpha'),
      workspace('ws_b', '/srv', 'beta'),
      workspace('ws_a2', '/home/me/wt/alpha-fix', 'alpha'),
    ],
    sessions: [
      session({ id: 's_old', workspace: 'ws_a', created: 100, updated: NOW - 30_000 }),
      session({
        id: 's_new',
        workspace: 'ws_a',
        created: 200,
        updated: NOW - 2 * 3600_000,
        status: 'running',
        queued: 2,
      }),
      session({ id: 's_b', workspace: 'ws_b', created: 150, updated: NOW, status: 'failed', provider: 'codex' }),
    ],
    terminals: [],
    peers: [],
    nodes: [],
    unseen: new Set(['s_old']),
    ...overrides,
  };
}

const shape = (rows: TreeRow[]) => rows.map((row) => `${'  '.repeat(row.depth)}${row.kind} ${row.id} ${row.label}`);

describe('buildTree', () => {
  it('flattens node → projects (by name) → workspaces → sessions (newest first)', () => {
    assert.deepEqual(shape(buildTree(data(), NOW)), [
      'node node:laptop laptop',
      '  project project:alpha alpha',
      '    workspace ws_a …/src/alpha',
      '      session s_new ▶ fake 2h +2',
      '      session s_old ○ fake <1m',
      '    workspace ws_a2 …/wt/alpha-fix',
      // A project known only from a workspace still gets its row; one with no workspace too.
      '  project project:beta beta',
      '    workspace ws_b /srv',
      '      session s_b ✗ codex <1m',
      '  project project:zeta zeta',
    ]);
  });

  it("lists a workspace's terminals after its sessions, and mesh peers after this node's subtree", () => {
    const terminal = (id: string, overrides: Partial<TerminalInfo>): TerminalInfo => ({
      id,
      workspace: 'ws_b',
      cwd: '/srv',
      command: ['/bin/bash'],
      cols: 80,
      rows: 24,
      pid: 42,
      owner: 'me',
      uid: 1000,
      created: NOW - 60_000,
      status: 'running',
      exit_code: null,
      signal: null,
      end_reason: null,
      ended: null,
      viewers: 0,
      scrollback_bytes: 0,
      ...overrides,
    });
    const peer = (node: string, overrides: Partial<PeerStatus>): PeerStatus => ({
      node,
      address: `${node}:7001`,
      state: 'connected',
      direction: 'outbound',
      since: NOW,
      last_heartbeat: NOW,
      lag: { outbound: 0, inbound: 0, ms: 0 },
      error: null,
      last_trouble: null,
      resources: { load: 0.5, mem_free: 3 * 1024 ** 3, mem_total: 4 * 1024 ** 3, disk_free: 2 * 1024 ** 4 },
      ...overrides,
    });
    const rows = buildTree(
      data({
        terminals: [
          terminal('t_2', { command: ['/usr/bin/htop'], status: 'ended', exit_code: 1, ended: NOW - 5_000 }),
          terminal('t_1', { created: NOW - 120_000 }),
        ],
        peers: [peer('zulu', { state: 'disconnected', resources: null }), peer('bravo', {})],
      }),
      NOW,
    );
    assert.deepEqual(shape(rows).slice(-7), [
      '    workspace ws_b /srv',
      '      session s_b ✗ codex <1m',
      '      terminal t_1 $ bash 2m',
      '      terminal t_2 ✗ htop <1m',
      '  project project:zeta zeta',
      'peer peer:bravo bravo',
      'peer peer:zulu zulu',
    ]);
    const badges = rows.flatMap((row) => (row.kind === 'peer' ? [row.badge] : []));
    assert.deepEqual(badges, [
      ['● load 0.5 mem 25% disk 2.0T', '● 0.5 25% 2.0T', '● 0.5 25%', '● 0.5', '●'],
      ['○ disconnected', '○'],
    ]);
  });

  it('gives the node its resource badge in shorter and shorter forms, and says connecting before the first status', () => {
    const [node] = buildTree(data(), NOW);
    assert.deepEqual(node, {
      kind: 'node',
      id: 'node:laptop',
      depth: 0,
      label: 'laptop',
      badge: ['load 0.4 mem 50% disk 5.5G', '0.4 50% 5.5G', '0.4 50%', '0.4'],
    });
    const [waiting] = buildTree(data({ status: undefined }), NOW);
    assert.deepEqual(waiting?.kind === 'node' && waiting.badge, ['connecting', '…']);
    assert.equal(waiting?.label, '…');
  });

  it('shortens a badge before it cuts it: the longest form that fits the width', () => {
    const [node] = buildTree(data(), NOW);
    const at = (width: number) => rowText(node!, width);
    assert.equal(at(40), ' laptop load 0.4 mem 50% disk 5.5G');
    assert.equal(at(33), ' laptop 0.4 50% 5.5G', 'at 33 the words go');
    assert.equal(at(18), ' laptop 0.4 50%', 'then the disk');
    assert.equal(at(12), ' laptop 0.4', 'then the memory');
    assert.equal(at(7), ' laptop', 'and only the name is ever cut');
    assert.equal(at(5), ' lapt');
  });

  it("puts each other node's objects under its row, greyed (away) with the reason and age while it is offline", () => {
    const info = (node: string, overrides: Partial<NodeInfo>): NodeInfo => ({
      node,
      self: false,
      state: 'online',
      hops: 2,
      via: 'bravo',
      last_heard: NOW,
      age_ms: 0,
      reason: null,
      message: null,
      summary: null,
      warnings: [],
      ...overrides,
    });
    const remote: Workspace = { id: 'ws_c', node: 'charlie', path: '/srv/app', project: 'alpha', created: 1 };
    const rows = buildTree(
      data({
        projects: [project('alpha'), { ...project('alpha'), node: 'charlie', stale: true }],
        workspaces: [workspace('ws_a', '/home/me/src/alpha', 'alpha'), remote],
        sessions: [{ ...session({ id: 's_c', workspace: 'ws_c', created: 1, updated: NOW }), stale: true }],
        nodes: [info('charlie', { state: 'offline', reason: 'link_down', last_heard: NOW - 180_000, hops: null })],
      }),
      NOW,
    );
    assert.deepEqual(shape(rows), [
      'node node:laptop laptop',
      '  project project:alpha alpha',
      '    workspace ws_a …/src/alpha',
      'peer peer:charlie charlie',
      '  project project:alpha@charlie alpha',
      '    workspace ws_c /srv/app',
      '      session s_c ○ fake <1m',
    ]);
    const charlie = rows.slice(3);
    assert.deepEqual(charlie[0]?.kind === 'peer' && charlie[0].badge, ['○ link_down 3m ago', '○ link_down', '○']);
    assert.deepEqual(
      charlie.slice(1).map((row) => row.kind !== 'node' && row.kind !== 'peer' && [row.node, row.away]),
      [
        ['charlie', true],
        ['charlie', true],
        ['charlie', true],
      ],
    );
    assert.equal(rows[1]?.kind === 'project' && rows[1].away, undefined, "this node's objects are not greyed");
  });

  it("keeps the end of a workspace's path too long for the row: the directory's own name", () => {
    const workspaceRow = buildTree(data(), NOW).find((row) => row.id === 'ws_a2')!;
    assert.equal(rowText(workspaceRow, 40), '     …/wt/alpha-fix');
    assert.equal(rowText(workspaceRow, 14), '     …lpha-fix');
  });

  it('marks only the unseen sessions, and carries each session for the panes', () => {
    const sessions = buildTree(data(), NOW).filter((row) => row.kind === 'session');
    assert.deepEqual(
      sessions.map((row) => [row.id, row.unseen, row.session.id]),
      [
        ['s_new', false, 's_new'],
        ['s_old', true, 's_old'],
        ['s_b', false, 's_b'],
      ],
    );
  });

  it('is an empty node row when the daemon knows nothing yet', () => {
    assert.deepEqual(
      shape(
        buildTree({
          status: undefined,
          projects: [],
          workspaces: [],
          sessions: [],
          terminals: [],
          peers: [],
          nodes: [],
          unseen: new Set(),
        }),
      ),
      ['node node:… …'],
    );
  });

  it('has a glyph for every session status', () => {
    assert.deepEqual(Object.keys(STATUS_GLYPH).sort(), [
      'failed',
      'idle',
      'interrupted',
      'running',
      'starting',
      'stopped',
    ]);
  });
});

describe('age and formatBytes', () => {
  it('rounds ages down to the largest whole unit, never finer than a minute', () => {
    assert.deepEqual([-5, 0, 59_999, 60_000, 3_599_999, 3_600_000, 86_399_999, 86_400_000, 10 * 86_400_000].map(age), [
      '<1m',
      '<1m',
      '<1m',
      '1m',
      '59m',
      '1h',
      '23h',
      '1d',
      '10d',
    ]);
  });

  it('keeps one decimal under ten units', () => {
    assert.deepEqual([0, 1023, 1024, 1536, 10 * 1024, 5.5 * 1024 ** 3, 2 * 1024 ** 4, 3 * 1024 ** 5].map(formatBytes), [
      '0B',
      '1023B',
      '1.0K',
      '1.5K',
      '10K',
      '5.5G',
      '2.0T',
      '3072T',
    ]);
  });
});

describe('TreePane', () => {
  const rows = buildTree(data(), NOW);
  /** The pane's lines, drawn once. */
  const drawn = async (props: Partial<Parameters<typeof TreePane>[0]>) => {
    const instance = renderWatched(
      <TreePane rows={rows} selected={0} focused width={34} height={12} colour {...props} />,
    );
    try {
      await instance.waitFor((frame) => frame.includes('└'), 'the pane');
      return lines(instance.frame()).filter((line) => line !== '');
    } finally {
      instance.unmount();
    }
  };

  it('draws every row indented under its parent, with the unseen marker and the node badge that fits', async () => {
    assert.deepEqual(await drawn({}), [
      '┌────────────────────────────────┐',
      '│ laptop 0.4 50% 5.5G            │',
      '│   alpha                        │',
      '│     …/src/alpha                │',
      '│       ▶ fake 2h +2             │',
      '│      •○ fake <1m               │',
      '│     …/wt/alpha-fix             │',
      '│   beta                         │',
      '│     /srv                       │',
      '│       ✗ codex <1m              │',
      '│   zeta                         │',
      '│                                │',
      '│                                │',
      '└────────────────────────────────┘',
    ]);
  });

  it('marks the selected row without colour, where its highlight would not show', async () => {
    const frame = await drawn({ selected: 2, colour: false });
    assert.equal(frame[3], `│${SELECTED_MARK}    …/src/alpha                │`);
    assert.equal(frame.filter((line) => line.includes(SELECTED_MARK)).length, 1);
    assert.equal((await drawn({ selected: 2 })).filter((line) => line.includes(SELECTED_MARK)).length, 0);
  });

  it('scrolls to keep the selected row in view when the rows do not fit', async () => {
    const labels = async (selected: number) =>
      (await drawn({ selected, focused: false, width: 30, height: 4 }))
        .slice(1, -1)
        .map((line) => line.slice(1, -1).trim());
    assert.deepEqual(await labels(0), ['laptop 0.4 50% 5.5G', 'alpha', '…/src/alpha', '▶ fake 2h +2']);
    // The selection sits in the middle while there is room above and below...
    assert.deepEqual(await labels(5), ['▶ fake 2h +2', '•○ fake <1m', '…/wt/alpha-fix', 'beta']);
    // ...and the last rows fill the pane at the end rather than leaving it half empty.
    assert.deepEqual(await labels(9), ['beta', '/srv', '✗ codex <1m', 'zeta']);
  });
});
