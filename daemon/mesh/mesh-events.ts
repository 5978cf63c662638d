import { CortexError } from '../../src/protocol/errors.js';
import type { MeshEvent } from '../../src/protocol/mesh-types.js';
import type { Subscriptions, TopicFamily } from '../pubsub/subscriptions.js';

export const MESH_TOPIC = 'mesh:events';

/**
 * Mesh events (peers up and down, merged conflicts, refused clocks and tables,
 * resyncs) as `mesh_event` notifications on the `mesh:events` topic, for
 * administrators: they name peers and tables of every user.
 */
export class MeshEvents {
  constructor(
    private readonly subscriptions: Subscriptions,
    private readonly now: () => number,
  ) {}

  emit(event: Omit<MeshEvent, 'time'>): void {
    this.subscriptions.publish(MESH_TOPIC, 'mesh_event', { ...event, time: this.now() });
  }

  family(): TopicFamily<'mesh:'> {
    return {
      prefix: 'mesh:',
      subscribe(topic, _subscriber, call) {
        if (topic !== MESH_TOPIC) {
          throw new CortexError('EINVAL', `The mesh has one topic, ${MESH_TOPIC}, not ${JSON.stringify(topic)}.`);
        }
        if (!call.identity.admin) {
          throw new CortexError('EACCES', `${call.identity.name} may not watch the mesh: only administrators may.`);
        }
        return {};
      },
    };
  }
}
