import { useEffect, useState } from 'react';
import type { NodeUnreachable } from '../../src/protocol/tree-types.js';
import { pausedNotice } from '../../src/paused-notice.js';
import { useConnection } from '../state/connection.js';

/** This client's streams from other nodes that are paused now, by topic. */
export type PausedStreams = ReadonlyMap<string, NodeUnreachable>;

/**
 * The streams of other nodes (a session's events, a terminal, a workspace's
 * files) that this client follows and whose node is out of reach: the daemon
 * says so with `node_unreachable` for the topic, and takes each stream up
 * again by itself when the node is back (`node_reachable` for the topic). The
 * notices about `nodes:*` (no topic) are the tree's, not a stream's.
 */
export function usePausedStreams(): PausedStreams {
  const { client, generation } = useConnection();
  const [paused, setPaused] = useState<PausedStreams>(new Map());
  useEffect(() => {
    // A new connection subscribes again from scratch: nothing of the old one is paused. The same
    // empty map when nothing was: a new one would cost a render (a whole frame for Ink) at every start.
    setPaused((current) => (current.size === 0 ? current : new Map()));
    if (!client) return;
    const stops = [
      client.onNotification('node_unreachable', (notice) => {
        const { topic } = notice;
        // Not heard from at all yet: paused since now.
        const since = { ...notice, last_heard: notice.last_heard ?? Date.now() };
        if (topic !== null) setPaused((current) => new Map(current).set(topic, since));
      }),
      client.onNotification('node_reachable', ({ topic }) => {
        if (topic !== null) setPaused((current) => without(current, topic));
      }),
    ];
    return () => {
      for (const stop of stops) stop();
    };
  }, [client, generation]);
  return paused;
}

function without(paused: PausedStreams, topic: string): PausedStreams {
  if (!paused.has(topic)) return paused;
  const next = new Map(paused);
  next.delete(topic);
  return next;
}

/**
 * The line an open pane shows while a stream of `nodes` is paused, e.g.
 * "paused: beta unreachable (link down) since 10:42:13"; undefined when none is.
 */
export function pausedLine(paused: PausedStreams, nodes: (string | undefined)[]): string | undefined {
  for (const notice of paused.values()) {
    if (nodes.includes(notice.node)) return pausedNotice(notice);
  }
  return undefined;
}
