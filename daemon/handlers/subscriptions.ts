import type { DaemonServices, HandlerTable } from './types.js';

export function subscriptionHandlers({
  subscriptions,
}: DaemonServices): Pick<HandlerTable, 'subscribe' | 'unsubscribe'> {
  return {
    subscribe: ({ topic, after }, call) => ({
      ok: true,
      topic,
      ...subscriptions.subscribe(topic, call.caller, call, after),
    }),
    unsubscribe: ({ topic }, call) => ({ ok: true, subscribed: subscriptions.unsubscribe(topic, call.caller) }),
  };
}
