import type { ErrorCode } from './errors.js';
import type { ReplicationPolicy, StoredRecord } from './store-types.js';

/** What a peer's heartbeat says about its machine, for badges. */
export interface PeerResources {
  /** One-minute load average. */
  load: number;
  mem_free: number;
  mem_total: number;
  /** Free bytes on the data directory's file system; null when unknown. */
  disk_free: number | null;
}

export interface PeerStatus {
  node: string;
  /** Where this node dials it (null when it only ever dialled in). */
  address: string | null;
  state: 'connected' | 'connecting' | 'disconnected';
  /** Who opened the current link. */
  direction: 'outbound' | 'inbound' | null;
  /** When the link came up, or went down (ms since the epoch). */
  since: number | null;
  last_heartbeat: number | null;
  lag: {
    /** This node's changes the peer has not acknowledged yet. */
    outbound: number;
    /** The peer's changes (by its last heartbeat) this node has not applied yet. */
    inbound: number;
    /** Age of the oldest change the peer has not acknowledged, in ms (0 when none). */
    ms: number;
  };
  /** Why the last link failed or was refused, if it did. */
  error: string | null;
  /** The last conflict merged or refusal (clock, table clash) with this peer since the daemon started. */
  last_trouble: MeshEvent | null;
  resources: PeerResources | null;
  /** The SHA-256 fingerprint of the certificate pinned for this node (first link), or null before. */
  pinned?: string | null;
  /** The last certificate refused under this node's name since it last linked (an impostor, a revoked one...). */
  refused?: PeerRefusal | null;
}

export interface ClusterStatus {
  node: string;
  /** HOST:PORT of the peer listener, or null when there is none. */
  listen: string | null;
  peers: PeerStatus[];
  /** This node's certificate; null before it has one. */
  certificate?: CertificateStatus | null;
  /** The revocation list this node enforces: its number (0: none yet) and how many certificates it revokes. */
  revocations?: { number: number; revoked: number };
}

/** A record from `query_mesh`, with the node that answered it. */
export interface MeshRecord {
  node: string;
  record: StoredRecord;
}

export interface MeshNodeFailure {
  node: string;
  code: ErrorCode;
  message: string;
}

export interface QueryMeshResult {
  records: MeshRecord[];
  nodes: {
    answered: string[];
    /** Nodes that did not answer in time, or answered with an error (no such table, no access). */
    failed: MeshNodeFailure[];
  };
}

/** One of the two tables of a clash: which incarnation, where it was created, whose it is. */
export interface ClashSide {
  incarnation: string;
  node: string;
  owner: string;
  replicate: ReplicationPolicy;
}

/** The data of a `table_clash` event: a peer offered another table of a name this node holds. */
export type TableClashData = {
  table: string;
  here: ClashSide;
  there: ClashSide & { peer: string };
};

/**
 * What the mesh reports on the `mesh:events` topic (and in the log). A
 * `peer_refused` event names the certificate's node (or the address, when the
 * certificate proved no name) and carries the refusal as its data.
 */
export type MeshEvent = MeshEventCommon &
  (
    | {
        type: 'peer_up' | 'peer_down' | 'conflict' | 'clock_skew' | 'resync' | 'refused' | 'table_clash';
        data?: Record<string, unknown>;
      }
    | { type: 'peer_refused'; data: PeerRefusal }
  );

interface MeshEventCommon {
  peer: string;
  message: string;
  /** ms since the epoch */
  time: number;
}

/** Why a peer (or a client certificate) was refused at the handshake or cut from a link. */
export type RefusalReason =
  | 'no_certificate'
  | 'unknown_ca'
  | 'expired'
  | 'not_yet_valid'
  | 'wrong_host'
  | 'bad_certificate'
  | 'wrong_kind'
  | 'revoked'
  | 'pinned_mismatch';

/** A refusal as `cluster` shows it and `peer_refused` carries it. */
export interface PeerRefusal {
  reason: RefusalReason;
  /** The reason as OpenSSL or this node names it: CERT_HAS_EXPIRED, CERT_REVOKED, PINNED_MISMATCH, ... */
  code: string;
  /** One sentence, as the refused peer is told it. */
  message: string;
  /** The refused certificate's SHA-256 fingerprint and serial, when one was presented. */
  fingerprint: string | null;
  serial: string | null;
  /** Where the refused connection came from, or went to. */
  address: string;
  /** ms since the epoch */
  time: number;
}

/** This node's own certificate, for `status` and `cluster`: when it expires, and a warning within 30 days. */
export interface CertificateStatus {
  name: string;
  /** ms since the epoch */
  not_after: number;
  /** Whole days left; negative once expired. */
  days_left: number;
  fingerprint: string;
  /** Set when it expires within 30 days, has expired, or is revoked. */
  warning: string | null;
}
