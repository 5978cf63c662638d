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
}
