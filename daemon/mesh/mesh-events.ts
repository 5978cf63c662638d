import { CortexError } from '../../src/protocol/errors.js';
import type { MeshEvent } from '../../src/protocol/mesh-types.js';
import type { Authority } from '../access/authority.js';
import type { Subscriptions, TopicFamily } from '../pubsub/subscriptions.js';

export const MESH_TOPIC = 'mesh:events';

/** A mesh event before it is stamped with its time. */
export type MeshEventInput = MeshEvent extends infer E ? (E extends MeshEvent ? Omit<E, 'time'> : never) : never;

/** The events an operator looks for first on a peer: what was merged or refused. */
const TROUBLE: ReadonlySet<MeshEvent['type']> = new Set(['conflict', 'clock_skew', 'refused', 'table_clash']);

/**
 * Mesh events (peers up and down, merged conflicts, refused clocks and tables,
 * resyncs) as `mesh_event` notifications on the `mesh:events` topic, for
 * administrators: they name peers and tables of every user.
 */
export class MeshEvents {
  /** Each peer's last merged conflict or refusal, for cluster_status (kept in memory: since this daemon started). */
  private readonly lastTrouble = new Map<string, MeshEvent>();

  constructor(
    private readonly subscriptions: Subscriptions,
    private readonly now: () => number,
    private readonly authority: Authority,
  ) {}

  emit(event: MeshEventInput): void {
    const timed = { ...event, time: this.now() };
    if (TROUBLE.has(event.type)) this.lastTrouble.set(event.peer, timed);
    this.subscriptions.publish(MESH_TOPIC, 'mesh_event', timed);
  }

  /** The peer's last conflict or refusal since this daemon started, or null. */
  lastTroubleOf(peer: string): MeshEvent | null {
    return this.lastTrouble.get(peer) ?? null;
  }

  family(): TopicFamily<'mesh:'> {
    return {
      prefix: 'mesh:',
      subscribe: (topic, _subscriber, call) => {
        if (topic !== MESH_TOPIC) {
          throw new CortexError('EINVAL', `The mesh has one topic, ${MESH_TOPIC}, not ${JSON.stringify(topic)}.`);
        }
        this.authority.requireAdmin(call.identity, 'watch the mesh');
        return {};
      },
    };
  }
}
