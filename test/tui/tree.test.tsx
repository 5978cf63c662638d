import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { render } from 'ink-testing-library';
import type { PeerStatus } from '../../src/protocol/mesh-types.js';
import type { TerminalInfo } from '../../src/protocol/terminal-types.js';
import type { StatusResult } from '../../src/protocol/methods.js';
import type { Project, Workspace } from '../../src/protocol/runtime-types.js';
import { TreePane } from '../../tui/components/TreePane.js';
import { age, buildTree, formatBytes, STATUS_GLYPH, type TreeData, type TreeRow } from '../../tui/state/tree.js';
import { session } from './helpers/events.js';
import { lines } from './helpers/frames.js';

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
      '      session s_old ○ fake 30s',
      '    workspace ws_a2 …/wt/alpha-fix',
      // A project known only from a workspace still gets its row; one with no workspace too.
      '  project project:beta beta',
      '    workspace ws_b /srv',
      '      session s_b ✗ codex 0s',
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
      '      session s_b ✗ codex 0s',
      '      terminal t_1 $ bash 2m',
      '      terminal t_2 ✗ htop 5s',
      '  project project:zeta zeta',
      'peer peer:bravo bravo',
      'peer peer:zulu zulu',
    ]);
    const badges = rows.flatMap((row) => (row.kind === 'peer' ? [row.badge] : []));
    assert.deepEqual(badges, ['● load 0.5 mem 25% disk 2.0T', '○ disconnected']);
  });

  it('gives the node its liveness badge, and says connecting before the first status', () => {
    const [node] = buildTree(data(), NOW);
    assert.deepEqual(node, {
      kind: 'node',
      id: 'node:laptop',
      depth: 0,
      label: 'laptop',
      badge: 'load 0.4 mem 50% disk 5.5G',
    });
    const [waiting] = buildTree(data({ status: undefined }), NOW);
    assert.equal(waiting?.kind === 'node' && waiting.badge, 'connecting');
    assert.equal(waiting?.label, '…');
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
  it('rounds ages down to the largest whole unit', () => {
    assert.deepEqual([-5, 0, 59_999, 60_000, 3_599_999, 3_600_000, 86_399_999, 86_400_000, 10 * 86_400_000].map(age), [
      '0s',
      '0s',
      '59s',
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

  it('draws every row indented under its parent, with the unseen marker and the node badge', () => {
    const instance = render(<TreePane rows={rows} selected={0} focused width={34} height={12} />);
    try {
      assert.deepEqual(lines(instance.lastFrame()!), [
        '┌────────────────────────────────┐',
        '│ laptop load 0.4 mem 50% disk 5.│',
        '│   alpha                        │',
        '│     …/src/alpha                │',
        '│       ▶ fake 2h +2             │',
        '│      •○ fake 30s               │',
        '│     …/wt/alpha-fix             │',
        '│   beta                         │',
        '│     /srv                       │',
        '│       ✗ codex 0s               │',
        '│   zeta                         │',
        '│                                │',
        '│                                │',
        '└────────────────────────────────┘',
      ]);
    } finally {
      instance.unmount();
    }
  });

  it('scrolls to keep the selected row in view when the rows do not fit', () => {
    const labels = (selected: number) => {
      const instance = render(<TreePane rows={rows} selected={selected} focused={false} width={30} height={4} />);
      try {
        return lines(instance.lastFrame()!)
          .slice(1, -1)
          .map((line) => line.slice(1, -1).trim());
      } finally {
        instance.unmount();
      }
    };
    assert.deepEqual(labels(0), ['laptop load 0.4 mem 50% dis', 'alpha', '…/src/alpha', '▶ fake 2h +2']);
    // The selection sits in the middle while there is room above and below...
    assert.deepEqual(labels(5), ['▶ fake 2h +2', '•○ fake 30s', '…/wt/alpha-fix', 'beta']);
    // ...and the last rows fill the pane at the end rather than leaving it half empty.
    assert.deepEqual(labels(9), ['beta', '/srv', '✗ codex 0s', 'zeta']);
  });
});
