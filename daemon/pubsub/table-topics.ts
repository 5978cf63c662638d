import { CortexError } from '../../src/protocol/errors.js';
import { RawMsgpack } from '../../src/protocol/msgpack-types.js';
import type { AccessControl } from '../access/access-control.js';
import type { Identity } from '../identity/identity.js';
import { type LogEntry, OP_DELETE, OP_PUT } from '../store/change-log.js';
import type { CommittedChange, Store } from '../store/store.js';
import type { Subscriber } from './subscriber.js';
import type { Publisher, TopicFamily } from './subscriptions.js';

const REPLAY_PAGE = 1000;

/** Where one subscriber's stream stands, in change-log seqs. */
interface Position {
  /** Changes up to here came before the subscription (or were replayed): never sent live. */
  from: number;
  /** The last change sent: a subscriber that lags resumes after it. */
  last: number;
  /** Who subscribed, judged again when a grant is revoked. */
  identity: Identity;
}

/**
 * `table:NAME`: every committed put and delete of a table, as `table_change`
 * notifications, to subscribers who may read it. Replicated writes arrive
 * through the same store hook, so subscribers see local and remote changes
 * alike. Each change carries its seq in this node's change log, the cursor:
 * `subscribe {topic, after: seq}` first replays the table's changes after it
 * from the log (each key's latest version, at the position of its latest change),
 * then streams live ones, each exactly once. The hook is attached only while
 * someone subscribes: without subscribers a put costs nothing extra.
 */
export function tableTopics(store: Store, access: AccessControl, publisher: Publisher): TopicFamily<'table:'> {
  const streams = new Map<string, Map<Subscriber, Position>>();
  let detach: (() => void) | undefined;

  const deliver = (change: CommittedChange): void => {
    const subscribers = streams.get(change.table);
    if (subscribers === undefined) return;
    const topic = `table:${change.table}` as const;
    for (const [subscriber, position] of subscribers) {
      if (change.seq <= position.from) continue;
      if (publisher.send(subscriber, topic, 'table_change', change)) position.last = change.seq;
    }
  };

  /** Sends the table's changes after the position; stops if the subscriber lags on the way (it was told). */
  const replay = (table: string, subscriber: Subscriber, position: Position): void => {
    const topic = `table:${table}` as const;
    let seq = position.from;
    for (;;) {
      const page = store.replica.changesAfter(seq, REPLAY_PAGE);
      for (const entry of page) {
        seq = entry.seq;
        const change = entry.tbl === table ? currentChange(store, table, entry) : undefined;
        if (change === undefined) continue;
        if (!publisher.send(subscriber, topic, 'table_change', change)) return;
        position.last = entry.seq;
      }
      if (page.length < REPLAY_PAGE) break;
    }
    position.from = position.last = seq;
  };

  return {
    prefix: 'table:',
    subscribe(topic, subscriber, call, after) {
      const table = topic.slice('table:'.length);
      store.catalog.handle(table);
      access.require(call.identity, table, 'read');
      const head = store.replica.headSeq();
      if (after !== undefined && after > head) {
        throw new CortexError(
          'EINVAL',
          `after ${after} is past the end of this node's change log (${head}): resume from a table_change's seq or a lagged cursor.`,
        );
      }
      let subscribers = streams.get(table);
      if (subscribers === undefined) streams.set(table, (subscribers = new Map<Subscriber, Position>()));
      const position = { from: after ?? head, last: after ?? head, identity: call.identity };
      subscribers.set(subscriber, position);
      detach ??= store.onChange(deliver);
      if (after !== undefined) replay(table, subscriber, position);
      return {};
    },
    unsubscribe(topic, subscriber) {
      const table = topic.slice('table:'.length);
      const subscribers = streams.get(table);
      subscribers?.delete(subscriber);
      if (subscribers?.size === 0) streams.delete(table);
      if (streams.size === 0) {
        detach?.();
        detach = undefined;
      }
    },
    cursor(topic, subscriber) {
      return streams.get(topic.slice('table:'.length))?.get(subscriber)?.last ?? null;
    },
    whyNot(topic, subscriber) {
      const table = topic.slice('table:'.length);
      const identity = streams.get(table)?.get(subscriber)?.identity;
      if (identity === undefined) return undefined;
      try {
        access.require(identity, table, 'read');
        return undefined;
      } catch (error) {
        if (error instanceof CortexError) return error.message;
        throw error;
      }
    },
  };
}

/**
 * A logged put or delete as the row stands now, or undefined when a later change
 * of its key superseded it (that later one is further on in the log).
 */
function currentChange(store: Store, table: string, entry: LogEntry): CommittedChange | undefined {
  if (entry.op !== OP_PUT && entry.op !== OP_DELETE) return undefined;
  const row = store.replica.rowState(table, entry.k);
  if (row === undefined || row.hlc !== entry.hlc || row.node !== entry.node) return undefined;
  const deleted = row.del !== 0 || row.v === null;
  return {
    table,
    key: entry.k,
    op: deleted ? 'delete' : 'put',
    record: deleted ? null : new RawMsgpack(row.v!),
    hlc: entry.hlc,
    node: entry.node,
    seq: entry.seq,
  };
}
