/**
 * One tree across nodes: where node-owned objects live, how nodes are known
 * and why one does not answer. Every project, workspace, session, turn,
 * terminal, check and file path belongs to the node that runs it; the methods
 * of those families take an optional `node` and listings take `nodes: "all"`.
 */

/**
 * The methods whose objects belong to a node, by the prefix of their names:
 * each takes an optional `node` (the daemon forwards the call there), and each
 * `*_list` of them also takes `nodes: "all"`. A method added to one of these
 * families is forwarded with no more work.
 */
export const NODE_METHOD_PREFIXES = [
  'project_',
  'workspace_',
  'session_',
  'fs_',
  'ws_',
  'worktree_',
  'check_',
  'term_',
] as const;
export type NodeMethodPrefix = (typeof NODE_METHOD_PREFIXES)[number];

/** Whether a method's objects belong to a node (see NODE_METHOD_PREFIXES). */
export function isNodeMethod(name: string): boolean {
  return NODE_METHOD_PREFIXES.some((prefix) => name.startsWith(prefix));
}

/** Whether a node method lists objects, and so also takes `nodes: "all"`. */
export function isListingMethod(name: string): boolean {
  return isNodeMethod(name) && name.endsWith('_list');
}

/** `node: "auto"` on session_start picks a node; it is not a node name (a node may not be called so). */
export const AUTO_NODE = 'auto';

/** What every node method takes besides its own params (never positional: pass them by name). */
export interface NodeParams {
  /** The node that runs it; this node when absent (or the node an id in the params belongs to). */
  node?: string;
}

/** What a listing method takes besides NodeParams. */
export interface ListingParams extends NodeParams {
  /** Every reachable node's objects, each with its node, and how each node answered. */
  nodes?: 'all';
}

/** Why a node did not answer. */
export const NODE_REASONS = ['link_down', 'timed_out', 'refused', 'certificate', 'unknown_node', 'error'] as const;
export type NodeReason = (typeof NODE_REASONS)[number];

/** What a node tells the mesh about itself in every heartbeat; relayed on to nodes it has no link with. */
export interface NodeSummary {
  /** One-minute load average. */
  load: number;
  mem_free: number;
  mem_total: number;
  /** Free bytes on the data directory's file system; null when unknown. */
  disk_free: number | null;
  sessions_running: number;
  objects: { projects: number; workspaces: number; sessions: number; terminals: number };
}

/** A node as `node_list` (`cortex nodes`) shows it. */
export interface NodeInfo {
  node: string;
  /** This node itself. */
  self: boolean;
  state: 'online' | 'offline';
  /** 0 for this node, 1 for a linked peer, more through others; null while offline. */
  hops: number | null;
  /** The peer that calls for it go through (null for this node and while offline). */
  via: string | null;
  /** When this node last heard of it, directly or through others (ms since the epoch). */
  last_heard: number | null;
  /** How long ago that was, in ms. */
  age_ms: number | null;
  /** Why it is offline. */
  reason: NodeReason | null;
  message: string | null;
  /** Its latest figures: stale (from last_heard) while offline; null when never heard. */
  summary: NodeSummary | null;
  /** The placement thresholds it is past (`load 9.5 > placement_max_load 8`). */
  warnings: string[];
}

/** How one node answered a listing across nodes (`nodes: "all"`). */
export interface ListingNode {
  node: string;
  answered: boolean;
  /** Why it did not answer. */
  reason: NodeReason | null;
  message: string | null;
  last_heard: number | null;
  /**
   * When its objects in the listing come from its last answer rather than this
   * one: how old that answer is, in ms (each such object is marked `stale`).
   * Null when it answered, or never answered this listing before.
   */
  stale_ms: number | null;
}

/** What a listing across nodes adds to each object. */
export interface Located {
  node?: string;
  /** From the node's last answer: it did not answer this time (see the listing's `nodes`). */
  stale?: boolean;
}

/** A listing's result as it comes across nodes: each listed object with its node, and how each node answered. */
export type AcrossNodes<R> = { [K in keyof R]: R[K] extends (infer I)[] ? (I & Located)[] : R[K] } & {
  nodes?: ListingNode[];
};

/** A stream from another node paused: the link to it is gone. It resumes by itself when the node is back. */
export interface NodeUnreachable {
  node: string;
  reason: NodeReason;
  message: string;
  last_heard: number | null;
  /** The subscription that paused; null on `nodes:*`, which hears of every node. */
  topic: string | null;
}

/** A node is reachable again; a paused subscription (topic) was taken up again from where it stopped. */
export interface NodeReachable {
  node: string;
  topic: string | null;
}

/** How a session's node was chosen (`node: "auto"`); also a `placed` event of the session. */
export interface Placement {
  /** The node that chose. */
  by: string;
  reason: string;
}
