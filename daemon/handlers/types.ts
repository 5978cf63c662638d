import type { StatusResult, MethodName, ParamsOf, ResultOf, VersionTuple } from '../../src/protocol/methods.js';
import type { RawMsgpack } from '../../src/protocol/msgpack-types.js';
import type { AccessControl } from '../access/access-control.js';
import type { PlacementThresholds } from '../config.js';
import type { Authority } from '../access/authority.js';
import type { TokenStore } from '../access/token-store.js';
import type { Logger } from '../logger.js';
import type { Mesh, MeshQueryAnswer } from '../mesh/mesh.js';
import type { Subscriptions } from '../pubsub/subscriptions.js';
import type { EventLog } from '../runtime/event-log.js';
import type { SessionManager } from '../runtime/session-manager.js';
import type { WorkspaceRegistry } from '../runtime/workspace-registry.js';
import type { ImportStaging } from '../store/import-staging.js';
import type { Store } from '../store/store.js';
import type { TerminalManager } from '../terminals/terminal-manager.js';
import type { ANSWERED, CallContext } from '../server/caller.js';
import type { WorkspaceInspector } from '../workspace/inspector.js';

/** What handlers may use of the daemon. */
export interface DaemonServices {
  store: Store;
  imports: ImportStaging;
  access: AccessControl;
  authority: Authority;
  tokens: TokenStore;
  subscriptions: Subscriptions;
  workspaces: WorkspaceRegistry;
  sessions: SessionManager;
  events: EventLog;
  inspector: WorkspaceInspector;
  terminals: TerminalManager;
  mesh: Mesh;
  log: Logger;
  /** Stops the daemon as SIGTERM does, noting why in the data directory (see Daemon.stop). */
  stop(onPurpose: string): void;
  /** This node's name. */
  node: string;
  /** When a node is past these, `cortex nodes` warns and `node: "auto"` skips it. */
  placementLimits: PlacementThresholds;
  /** Where workspace_clone clones. */
  workspaceRoot: string;
  /** The parts of `status` that do not depend on the caller. */
  status(): Omit<StatusResult, 'identity'>;
}

/** Methods whose handlers send stored records as raw MessagePack instead of decoded maps. */
interface RawResults {
  get: { record: RawMsgpack | null };
  match: { records: RawMsgpack[]; truncated: boolean };
  all: { records: RawMsgpack[]; cursor: string | null; versions?: VersionTuple[] };
  query_mesh: MeshQueryAnswer;
}

export type HandlerResult<M extends MethodName> = M extends keyof RawResults ? RawResults[M] : ResultOf<M>;

export type Handler<M extends MethodName> = (
  params: ParamsOf<M>,
  call: CallContext,
) => HandlerResult<M> | Promise<HandlerResult<M>> | typeof ANSWERED;

export type HandlerTable = { [M in MethodName]: Handler<M> };
