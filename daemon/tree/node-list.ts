import type { NodeInfo } from '../../src/protocol/tree-types.js';
import type { PlacementThresholds } from '../config.js';
import type { NodeView } from '../mesh/routes.js';
import { pastThresholds } from './thresholds.js';

/** `node_list`: every node this one knows of, with its figures, the thresholds it is past, and why it is offline. */
export function nodeList(views: NodeView[], limits: PlacementThresholds, now: number): NodeInfo[] {
  return views.map((view) => ({
    node: view.node,
    self: view.self,
    state: view.online ? 'online' : 'offline',
    hops: view.hops,
    via: view.via,
    last_heard: view.heardAt,
    age_ms: view.heardAt === null ? null : Math.max(0, now - view.heardAt),
    reason: view.down?.reason ?? null,
    message: view.down?.message ?? null,
    summary: view.summary,
    warnings: view.summary === null ? [] : pastThresholds(view.summary, limits),
  }));
}
