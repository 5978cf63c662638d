import type { AccessControl } from '../access/access-control.js';
import type { Store } from '../store/store.js';
import type { Subscriber, Subscriptions, TopicFamily } from './subscriptions.js';

/**
 * `table:NAME`: every committed put and delete of a table, as `table_change`
 * notifications, to subscribers who may read it. Replicated writes arrive
 * through the same store hook, so subscribers see local and remote changes
 * alike. The hook is attached only while someone subscribes: without
 * subscribers a put costs nothing extra.
 */
export function tableTopics(store: Store, access: AccessControl, subscriptions: Subscriptions): TopicFamily {
  const watching = new Set<Subscriber>();
  let detach: (() => void) | undefined;
  return {
    prefix: 'table:',
    subscribe(topic, subscriber, call) {
      const table = topic.slice('table:'.length);
      store.catalog.handle(table);
      access.require(call.identity, table, 'read');
      watching.add(subscriber);
      detach ??= store.onChange((change) => subscriptions.publish(`table:${change.table}`, 'table_change', change));
      return { topic };
    },
    unsubscribe(_topic, subscriber) {
      if (subscriptions.hasSubscriptionsWithPrefix(subscriber, 'table:')) return;
      watching.delete(subscriber);
      if (watching.size === 0) {
        detach?.();
        detach = undefined;
      }
    },
  };
}
