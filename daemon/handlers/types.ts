import type { StatusResult, MethodName, ParamsOf, ResultOf, VersionTuple } from '../../src/protocol/methods.js';
import type { RawMsgpack } from '../../src/protocol/msgpack-types.js';
import type { AccessControl } from '../access/access-control.js';
import type { TokenStore } from '../access/token-store.js';
import type { Logger } from '../logger.js';
import type { Mesh, MeshQueryAnswer } from '../mesh/mesh.js';
import type { Subscriptions } from '../pubsub/subscriptions.js';
import type { EventLog } from '../runtime/event-log.js';
import type { SessionManager } from '../runtime/session-manager.js';
import type { WorkspaceRegistry } from '../runtime/workspace-registry.js';
import type { Store } from '../store/store.js';
import type { TerminalManager } from '../terminals/terminal-manager.js';
import type { CallContext } from '../server/caller.js';
import type { WorkspaceInspector } from '../workspace/inspector.js';

/** What handlers may use of the daemon. */
export interface DaemonServices {
  store: Store;
  access: AccessControl;
  tokens: TokenStore;
  subscriptions: Subscriptions;
  workspaces: WorkspaceRegistry;
  sessions: SessionManager;
  events: EventLog;
  inspector: WorkspaceInspector;
  terminals: TerminalManager;
  mesh: Mesh;
  log: Logger;
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
) => HandlerResult<M> | Promise<HandlerResult<M>>;

export type HandlerTable = { [M in MethodName]: Handler<M> };
