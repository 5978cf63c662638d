import type { AccessControl } from '../access/access-control.js';
import type { Store } from '../store/store.js';
import type { Subscriptions, TopicFamily } from './subscriptions.js';

/**
 * `table:NAME`: every committed put and delete of a table, as `table_change`
 * notifications, to subscribers who may read it. Replicated writes will arrive
 * through the same store hook, so subscribers see local and remote changes alike.
 */
export function tableTopics(store: Store, access: AccessControl, subscriptions: Subscriptions): TopicFamily {
  store.onChange((change) => subscriptions.publish(`table:${change.table}`, 'table_change', change));
  return {
    prefix: 'table:',
    subscribe(topic, _subscriber, call) {
      const table = topic.slice('table:'.length);
      store.catalog.handle(table);
      access.require(call.identity, table, 'read');
      return { topic };
    },
  };
}
