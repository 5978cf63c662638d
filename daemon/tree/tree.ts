import { randomBytes } from 'node:crypto';
import type { MethodName, ParamsOf, ResultOf } from '../../src/protocol/methods.js';
import type { MsgValue } from '../../src/protocol/msgpack-types.js';
import type { NodeUnreachable } from '../../src/protocol/tree-types.js';
import type { Authority } from '../access/authority.js';
import { type ForwardedIdentities, forwardedName } from '../access/forwarded-identity.js';
import type { PlacementThresholds } from '../config.js';
import type { HandlerTable } from '../handlers/types.js';
import type { Logger } from '../logger.js';
import type { Mesh } from '../mesh/mesh.js';
import { isRelayed, statementOf } from '../mesh/node-calls.js';
import type { Subscriber } from '../pubsub/subscriber.js';
import type { Subscriptions, TopicFamily } from '../pubsub/subscriptions.js';
import type { Runtime } from '../runtime/index.js';
import type { CallContext } from '../server/caller.js';
import type { TerminalManager } from '../terminals/terminal-manager.js';
import { Listings } from './listings.js';
import { Locator } from './locator.js';
import { LOCATE, TreeServer } from './node-server.js';
import { NodesTopic } from './nodes-topic.js';
import { Placement } from './placement.js';
import { RemoteCallers } from './remote-callers.js';
import { RemoteStreams } from './remote-streams.js';
import { NodeRouter } from './router.js';

export interface TreeOptions {
  me: string;
  /** The handlers of this node's own objects. */
  local: HandlerTable;
  mesh: Mesh;
  subscriptions: Subscriptions;
  runtime: Runtime;
  terminals: TerminalManager;
  identities: ForwardedIdentities;
  authority: Authority;
  limits: PlacementThresholds;
  /** How long each node may take to answer a listing across nodes, or a locate. */
  queryTimeoutMs: number;
  viewerLimits: { maxPendingBytes: number; graceMs: number };
  log: Logger;
}

/**
 * One tree across nodes: every node's projects, workspaces, sessions, files
 * and terminals, driven from any node. Calls go where their objects are
 * (NodeRouter), over the mesh's links (relayed where there is no direct one),
 * with the caller's identity for that node to judge (forwarded-identity.ts);
 * this node runs other nodes' calls for their connections (TreeServer), and
 * streams from other nodes pause and resume with their reachability.
 */
export class Tree {
  /** Every method's handler, the node methods going where their objects are. */
  readonly handlers: HandlerTable;
  /** Runs other nodes' calls here. */
  readonly server: TreeServer;
  /** Tells this daemon's connections apart from an earlier run's, on other nodes. */
  private readonly epoch = randomBytes(4).toString('hex');
  private readonly callers: RemoteCallers;
  private readonly streams: RemoteStreams;
  private readonly nodesTopic: NodesTopic;

  constructor(private readonly options: TreeOptions) {
    const { me, local, mesh, runtime, terminals, subscriptions, limits, queryTimeoutMs, log } = options;
    const locator = new Locator({
      holds: (id) => runtime.sessions.has(id) || runtime.workspaces.has(id) || terminals.has(id),
      reachable: () =>
        mesh
          .nodes()
          .filter((view) => !view.self && view.online)
          .map((view) => view.node),
      ask: async (node, id) => {
        const request = { target: node, route: [me], identity: `node:${me}`, conn: 'locate', method: LOCATE };
        const answer = await mesh.calls.call({ ...request, params: { id } }, queryTimeoutMs);
        return typeof answer === 'object' && answer !== null && (answer as { held?: unknown }).held === true;
      },
    });
    this.callers = new RemoteCallers(me, mesh.calls, subscriptions);
    options.identities.onWithdrawn((identity, why) => this.callers.endIdentity(identity, why));
    this.streams = new RemoteStreams({
      me,
      calls: mesh.calls,
      subscriptions,
      forward: (node, method, params, call) => this.forward(node, method, params, call),
      unreachable: (node) => mesh.unreachable(node),
      connKey: (subscriber) => this.connKey(subscriber),
      viewerLimits: options.viewerLimits,
      log,
    });
    this.nodesTopic = new NodesTopic(subscriptions);
    this.server = new TreeServer({
      identities: options.identities,
      proofs: (request) => {
        if (isRelayed(request)) mesh.checkProof(statementOf(request), request.proof);
      },
      callers: this.callers,
      streams: this.streams,
      locator,
      local,
      log,
    });
    const listings: Listings = new Listings({
      nodes: () => mesh.nodes(),
      local: (method, params, call): unknown => router.route(method as MethodName, params, call),
      forward: (node, method, params, call, timeoutMs) => this.forward(node, method, params, call, timeoutMs),
      timeoutMs: queryTimeoutMs,
      locator,
      now: () => Date.now(),
    });
    const placement: Placement = new Placement({
      me,
      nodes: () => mesh.nodes(),
      limits,
      registry: runtime.workspaces,
      authority: options.authority,
      listing: async <M extends 'project_list' | 'workspace_list'>(method: M, call: CallContext) =>
        (await listings.across(method, {}, call)) as ResultOf<M>,
      run: async <M extends 'workspace_add' | 'workspace_clone' | 'session_start'>(
        method: M,
        params: ParamsOf<M>,
        call: CallContext,
      ) => (await router.route(method, params, call)) as ResultOf<M>,
    });
    const router: NodeRouter = new NodeRouter({
      me,
      local,
      locator,
      streams: this.streams,
      listings,
      placement,
      forward: (node, method, params, call) => this.forward(node, method, params, call),
    });
    this.handlers = router.table();
    mesh.onReachability((node, online) => this.reachability(node, online));
  }

  family(): TopicFamily<'nodes:'> {
    return this.nodesTopic.family();
  }

  /** A connection closed: its streams from other nodes end, there too. */
  dropConnection(subscriber: Subscriber): void {
    this.streams.drop(subscriber);
  }

  private forward(
    node: string,
    method: string,
    params: Record<string, MsgValue>,
    call: CallContext,
    timeoutMs = 0,
  ): Promise<MsgValue> {
    const { me, mesh } = this.options;
    const request = {
      target: node,
      route: [me],
      identity: forwardedName(call.identity),
      conn: this.connKey(call.caller),
      method,
      params,
    };
    return mesh.calls.call(request, timeoutMs);
  }

  private connKey(subscriber: Subscriber): string {
    return `${this.epoch}.${subscriber.id}`;
  }

  private reachability(node: string, online: boolean): void {
    if (online) {
      this.streams.nodeUp(node);
      this.nodesTopic.reachable(node);
      return;
    }
    // Its connections' streams here end: it subscribes again when it is back.
    this.callers.dropOrigin(node);
    this.streams.nodeDown(node);
    const error = this.options.mesh.unreachable(node);
    const data = (error.data ?? {}) as Partial<NodeUnreachable>;
    this.nodesTopic.unreachable({
      node,
      reason: data.reason ?? 'link_down',
      message: error.message,
      last_heard: data.last_heard ?? null,
    });
  }
}
