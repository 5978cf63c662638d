import type { DaemonServices, HandlerTable } from './types.js';

export function subscriptionHandlers({
  subscriptions,
}: DaemonServices): Pick<HandlerTable, 'subscribe' | 'unsubscribe'> {
  return {
    subscribe: ({ topic, after }, call) => {
      const result = subscriptions.subscribe(topic, call.caller, call, after === undefined ? {} : { after });
      const lastSeq = (result as { replayed_to?: unknown } | undefined)?.replayed_to;
      return typeof lastSeq === 'number' ? { ok: true, topic, last_seq: lastSeq } : { ok: true, topic };
    },
    unsubscribe: ({ topic }, call) => ({ ok: true, subscribed: subscriptions.unsubscribe(topic, call.caller) }),
  };
}
