/** The mesh's tunables, from config.json (see README "Mesh"). */
export interface MeshSettings {
  /** How often peers exchange heartbeats; a peer silent for 4 of them (at least 2 s) is dropped. */
  heartbeatMs: number;
  /** How old a tombstone must be before it may be collected, and how long a peer may be away before it gets a full resync. */
  graceMs: number;
  /** How far ahead of this node's clock a peer's clock or timestamps may be. */
  maxDriftMs: number;
  /** How long each node may take to answer query_mesh, unless the call says otherwise. */
  queryTimeoutMs: number;
  /** The longest wait between redials of a saved peer. */
  redialMaxMs: number;
  /** How often the change log is swept, a slice at a time, for collectable tombstones. */
  gcIntervalMs: number;
  /** The largest peer message accepted. */
  maxMessageBytes: number;
  /**
   * Output a peer may leave unread before its link is closed (the peer catches up from its checkpoint
   * when it links again): a peer that never reads cannot grow this node, whatever it asks for.
   */
  maxOutputBytes: number;
  /**
   * With peers linked, puts held in the put journal are committed once none came for this long (0: only
   * at the end of commit_interval_ms). Peers get committed changes only: without it a lone put would wait
   * the whole interval to leave, while a stream of puts still shares one commit.
   */
  commitQuietMs: number;
}

/**
 * 2, not 1: the timers' clock counts whole milliseconds, so a 1 ms wait ended at the next millisecond's
 * tick, inside a stream of puts (a sequential put with a peer linked: 11.8k puts/s against 18k at 2).
 */
export const DEFAULT_COMMIT_QUIET_MS = 2;

/** As Redis's client-output-buffer-limit for replicas and pubsub: room for a big query answer or two. */
export const DEFAULT_PEER_MAX_OUTPUT_BYTES = 32 * 1024 * 1024;
