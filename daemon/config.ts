import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { CortexError } from '../src/protocol/errors.js';
import { APPROVAL_POLICIES, type ApprovalPolicy } from '../src/protocol/runtime-types.js';
import { NODE_NAME } from '../src/protocol/store-types.js';
import { AUTO_NODE } from '../src/protocol/tree-types.js';
import {
  arrayOf,
  boolean,
  type Check,
  fail,
  integer,
  literal,
  object,
  optional,
  string,
} from '../src/protocol/validate.js';
import type { LogLevel } from './logger.js';
import { DEFAULT_COMMIT_QUIET_MS, DEFAULT_PEER_MAX_OUTPUT_BYTES, type MeshSettings } from './mesh/mesh-settings.js';
import type { SubscriptionLimits } from './pubsub/subscriptions.js';
import type { Synchronous } from './store/open-database.js';
import { DEFAULT_RECORD_CACHE_MB } from './store/record-cache.js';
import { DEFAULT_NEXT_REQUEST_WAIT_MICROS } from './server/unix-listener.js';

/** The daemon's settings, from `config.json` in the config directory; every field is optional. */
export interface DaemonConfig {
  /** Until the data directory's saved name settles it (see node-name.ts). */
  nodeName: string;
  /** Where an explicit node name came from (`--node-name`, config.json); undefined for the host name. */
  nodeNameFrom: string | undefined;
  maxMessageBytes: number;
  maxOutputBytes: number;
  highWaterBytes: number;
  stallTimeoutMs: number;
  /** What a subscriber may leave unread before its subscription ends with `lagged`. */
  subscriptionLimits: SubscriptionLimits;
  synchronous: Synchronous;
  /** The longest an acknowledged put waits in the put journal for its SQLite commit; 0: no journal. */
  commitIntervalMs: number;
  /** The store's cache of records read, in bytes (see RecordCache); 0: none. */
  recordCacheBytes: number;
  /** After a turn that read requests, how long the daemon watches for the next before it sleeps (µs); 0: not at all. */
  nextRequestWaitMicros: number;
  logLevel: LogLevel;
  /** Members of this group may use the socket too (system mode: `cortex`). */
  socketGroup: string | undefined;
  /** HOST:PORT of the TLS listener, if any. */
  listen: string | undefined;
  /** The Codex CLI to run (else CORTEX_CODEX_BIN, PATH, node_modules). */
  codexBin: string | undefined;
  /** Extra arguments for every Codex process, app-server and exec alike (CORTEX_CODEX_ARGS adds more). */
  codexArgs: string[];
  /** How long an interrupted provider gets to end the turn itself, then after SIGINT, and after SIGTERM, before SIGKILL. */
  interruptGraceMs: number;
  /** The approval policy of sessions started without one. */
  approvalPolicy: ApprovalPolicy;
  /** A running turn silent this long gets a `stalled` event. */
  turnStallMs: number;
  /** A turn running longer is interrupted; 0: never. */
  turnTimeoutMs: number;
  /** A session's Codex app-server with no turn for this long is stopped (started again on the next message). */
  codexIdleMs: number;
  /** fs_read refuses files larger than this. */
  fsReadMaxBytes: number;
  /** File changes are gathered this long into one fs_change. */
  watchDebounceMs: number;
  /** inotify watches one watched workspace may hold. */
  watchMaxWatches: number;
  /** Run each project's checks after every turn that was not interrupted. */
  checksAfterTurn: boolean;
  /** A check running longer is stopped. */
  checkTimeoutMs: number;
  /** The scrollback ring of each terminal. */
  termScrollbackBytes: number;
  /** A terminal viewer with more unread output than this for 2 s (or 4 times this at once) is dropped from the stream. */
  termViewerMaxPendingBytes: number;
  /** HOST:PORT of the mesh peer listener, if any. */
  meshListen: string | undefined;
  mesh: MeshSettings;
  /** Where `node: "auto"` may not put a session, and when `cortex nodes` warns. */
  placement: PlacementThresholds;
  /** Where workspace_clone clones (default: the data directory's `workspaces/`). */
  workspaceRoot: string | undefined;
}

/** A node past any of these is skipped by `node: "auto"` and marked in `cortex nodes`. */
export interface PlacementThresholds {
  maxLoad: number;
  minDiskBytes: number;
  minFreeMemory: number;
}

const MiB = 1024 * 1024;

const loadFigure: Check<number> = (value, path) =>
  typeof value === 'number' && Number.isFinite(value) && value >= 0
    ? value
    : fail(path, 'a load average (a number)', value);

const parseFile = object({
  node_name: optional(string({ pattern: NODE_NAME, what: 'a node name (letters, digits, _ . -)' })),
  max_message_bytes: optional(integer({ min: 1024, max: 1024 * MiB })),
  max_output_bytes: optional(integer({ min: 64 * 1024, max: 4096 * MiB })),
  high_water_bytes: optional(integer({ min: 1024, max: 1024 * MiB })),
  stall_timeout_ms: optional(integer({ min: 10, max: 86_400_000 })),
  subscription_hard_bytes: optional(integer({ min: 64 * 1024, max: 4096 * MiB })),
  subscription_soft_bytes: optional(integer({ min: 64 * 1024, max: 4096 * MiB })),
  subscription_soft_ms: optional(integer({ min: 0, max: 86_400_000 })),
  synchronous: optional(literal('normal', 'full')),
  commit_interval_ms: optional(integer({ min: 0, max: 60_000 })),
  record_cache_mb: optional(integer({ min: 0, max: 65_536 })),
  next_request_wait_us: optional(integer({ min: 0, max: 10_000 })),
  log_level: optional(literal('debug', 'info', 'warn', 'error')),
  listen: optional(string({ pattern: /^(\[[^\]]+\]|[^:]+):\d{1,5}$/, what: 'HOST:PORT' })),
  codex_bin: optional(string({ min: 1, max: 4096, what: 'the path of the codex binary' })),
  codex_args: optional(arrayOf(string({ max: 4096 }), { max: 256 })),
  interrupt_grace_ms: optional(integer({ min: 10, max: 600_000 })),
  approval_policy: optional(literal(...APPROVAL_POLICIES)),
  turn_stall_ms: optional(integer({ min: 10, max: 86_400_000 })),
  turn_timeout_ms: optional(integer({ min: 0, max: 7 * 86_400_000 })),
  codex_idle_ms: optional(integer({ min: 10, max: 86_400_000 })),
  fs_read_max_bytes: optional(integer({ min: 1024, max: 256 * MiB })),
  watch_debounce_ms: optional(integer({ min: 0, max: 60_000 })),
  watch_max_watches: optional(integer({ min: 16, max: 1_000_000 })),
  checks_after_turn: optional(boolean()),
  check_timeout_ms: optional(integer({ min: 100, max: 86_400_000 })),
  term_scrollback_bytes: optional(integer({ min: 1024, max: 256 * MiB })),
  term_viewer_max_pending_bytes: optional(integer({ min: 16 * 1024, max: 1024 * MiB })),
  socket_group: optional(string({ pattern: /^[A-Za-z_][A-Za-z0-9_.-]{0,31}$/, what: 'a group name' })),
  mesh_listen: optional(string({ pattern: /^(\[[^\]]+\]|[^:]+):\d{1,5}$/, what: 'HOST:PORT' })),
  mesh_heartbeat_ms: optional(integer({ min: 20, max: 600_000 })),
  tombstone_grace_ms: optional(integer({ min: 0, max: 365 * 86_400_000 })),
  max_clock_drift_ms: optional(integer({ min: 0, max: 86_400_000 })),
  mesh_query_timeout_ms: optional(integer({ min: 10, max: 60_000 })),
  mesh_redial_max_ms: optional(integer({ min: 100, max: 3_600_000 })),
  mesh_gc_interval_ms: optional(integer({ min: 10, max: 86_400_000 })),
  mesh_commit_quiet_ms: optional(integer({ min: 0, max: 60_000 })),
  // Above the 1 MiB past which replication waits for the peer to read: only a peer that does not read reaches it.
  mesh_max_output_bytes: optional(integer({ min: 2 * MiB, max: 4096 * MiB })),
  placement_max_load: optional(loadFigure),
  placement_min_disk_bytes: optional(integer({ min: 0 })),
  placement_min_free_memory: optional(integer({ min: 0 })),
  workspace_root: optional(string({ pattern: /^\//, max: 4096, what: 'an absolute path' })),
});

export function configPath(configDir: string): string {
  return join(configDir, 'config.json');
}

export function loadConfig(
  configDir: string,
  overrides: {
    nodeName?: string | undefined;
    socketGroup?: string | undefined;
    listen?: string | undefined;
    meshListen?: string | undefined;
  } = {},
): DaemonConfig {
  const file = configPath(configDir);
  let raw: unknown = {};
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new CortexError('EINVAL', `${file} is not valid JSON: ${(error as Error).message}.`);
    }
  }
  const parsed = parseFile(raw, file);
  const nodeName = overrides.nodeName ?? parsed.node_name ?? defaultNodeName();
  if (nodeName === AUTO_NODE) {
    throw new CortexError(
      'EINVAL',
      `A node may not be named ${AUTO_NODE}: --node ${AUTO_NODE} picks a node for a session.`,
    );
  }
  return {
    nodeName,
    nodeNameFrom:
      overrides.nodeName !== undefined
        ? '--node-name'
        : parsed.node_name !== undefined
          ? `node_name in ${file}`
          : undefined,
    maxMessageBytes: parsed.max_message_bytes ?? 16 * MiB,
    maxOutputBytes: parsed.max_output_bytes ?? 64 * MiB,
    highWaterBytes: parsed.high_water_bytes ?? 4 * MiB,
    stallTimeoutMs: parsed.stall_timeout_ms ?? 30_000,
    subscriptionLimits: {
      hardBytes: parsed.subscription_hard_bytes ?? 32 * MiB,
      softBytes: parsed.subscription_soft_bytes ?? 8 * MiB,
      softMs: parsed.subscription_soft_ms ?? 60_000,
    },
    synchronous: parsed.synchronous ?? 'normal',
    commitIntervalMs: parsed.commit_interval_ms ?? 10,
    recordCacheBytes: (parsed.record_cache_mb ?? DEFAULT_RECORD_CACHE_MB) * MiB,
    nextRequestWaitMicros: parsed.next_request_wait_us ?? DEFAULT_NEXT_REQUEST_WAIT_MICROS,
    logLevel: parsed.log_level ?? 'info',
    socketGroup: overrides.socketGroup ?? parsed.socket_group,
    listen: overrides.listen ?? parsed.listen,
    codexBin: parsed.codex_bin,
    codexArgs: parsed.codex_args ?? [],
    interruptGraceMs: parsed.interrupt_grace_ms ?? 3000,
    approvalPolicy: parsed.approval_policy ?? 'never',
    turnStallMs: parsed.turn_stall_ms ?? 120_000,
    turnTimeoutMs: parsed.turn_timeout_ms ?? 0,
    codexIdleMs: parsed.codex_idle_ms ?? 600_000,
    fsReadMaxBytes: parsed.fs_read_max_bytes ?? 4 * MiB,
    watchDebounceMs: parsed.watch_debounce_ms ?? 50,
    watchMaxWatches: parsed.watch_max_watches ?? 20_000,
    checksAfterTurn: parsed.checks_after_turn ?? false,
    checkTimeoutMs: parsed.check_timeout_ms ?? 600_000,
    termScrollbackBytes: parsed.term_scrollback_bytes ?? MiB,
    termViewerMaxPendingBytes: parsed.term_viewer_max_pending_bytes ?? 4 * MiB,
    meshListen: overrides.meshListen ?? parsed.mesh_listen,
    mesh: {
      heartbeatMs: parsed.mesh_heartbeat_ms ?? 2000,
      graceMs: parsed.tombstone_grace_ms ?? 7 * 86_400_000,
      maxDriftMs: parsed.max_clock_drift_ms ?? 60_000,
      queryTimeoutMs: parsed.mesh_query_timeout_ms ?? 2000,
      redialMaxMs: parsed.mesh_redial_max_ms ?? 30_000,
      gcIntervalMs: parsed.mesh_gc_interval_ms ?? 60_000,
      commitQuietMs: parsed.mesh_commit_quiet_ms ?? DEFAULT_COMMIT_QUIET_MS,
      maxMessageBytes: parsed.max_message_bytes ?? 16 * MiB,
      maxOutputBytes: parsed.mesh_max_output_bytes ?? DEFAULT_PEER_MAX_OUTPUT_BYTES,
    },
    placement: {
      maxLoad: parsed.placement_max_load ?? 8,
      minDiskBytes: parsed.placement_min_disk_bytes ?? 1024 * MiB,
      minFreeMemory: parsed.placement_min_free_memory ?? 256 * MiB,
    },
    workspaceRoot: parsed.workspace_root,
  };
}

function defaultNodeName(): string {
  const name = hostname().split('.')[0] ?? '';
  return NODE_NAME.test(name) ? name : 'node';
}
