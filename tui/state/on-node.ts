import type { NodeParams } from '../../src/protocol/tree-types.js';

/**
 * The `node` param of a call about an object of `node`: the daemon forwards
 * it there. None for this node's objects (`node` undefined), so a call about a
 * local object is the same as before the mesh. Every runtime, workspace and
 * terminal call the TUI makes for an object spreads this into its params.
 */
export function onNode(node: string | undefined): NodeParams {
  return node === undefined ? {} : { node };
}
