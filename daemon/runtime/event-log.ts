import type { Database, Statement } from 'better-sqlite3';
import { decode } from '../../src/protocol/msgpack-decode.js';
import { encode } from '../../src/protocol/msgpack-encode.js';
import type { EventPayloads, EventType, SessionEvent } from '../../src/protocol/session-events.js';
import type { Logger } from '../logger.js';
import type { Store } from '../store/store.js';
import { EventInserts } from './event-inserts.js';

/** An event and its payload as the MessagePack bytes it was stored as. */
export interface CommittedEvent {
  event: SessionEvent;
  payload: Buffer;
}

/** Told of the events of each commit once committed, in seq order per session. */
export type CommittedListener = (batch: readonly CommittedEvent[]) => void;

interface EventRow {
  seq: number;
  time: number;
  turn: number;
  type: EventType;
  payload: Buffer;
}

/**
 * Session events: numbered per session by this daemon (from 1, no gaps),
 * written through group commit, and handed to listeners only once committed,
 * in seq order. The events appended in one turn of the event loop (the lines of
 * one read of a provider's output) are inserted together and handed on as one
 * batch, so that fanning them out costs one write per subscriber, not one per
 * event. Readers page with `after` and a limit.
 */
export class EventLog {
  private readonly lastSeq = new Map<string, number>();
  private readonly listeners = new Set<CommittedListener>();
  /** Appended in this turn and not yet inserted. */
  private unsaved: CommittedEvent[] = [];
  private readonly inserts: EventInserts;
  private readonly page: Statement<[string, number, number], EventRow>;
  private readonly maxSeq: Statement<[string], number | null>;
  private readonly ofType: Statement<[string, number, string], EventRow>;
  private readonly newest: Statement<[string], EventRow>;

  constructor(
    db: Database,
    private readonly store: Store,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {
    this.inserts = new EventInserts(db);
    this.page = db.prepare(
      'SELECT seq, time, turn, type, payload FROM _events WHERE session = ? AND seq > ? ORDER BY seq LIMIT ?',
    );
    this.ofType = db.prepare(
      'SELECT seq, time, turn, type, payload FROM _events WHERE session = ? AND turn = ? AND type = ? ORDER BY seq',
    );
    this.newest = db.prepare('SELECT seq, time, turn, type, payload FROM _events WHERE session = ? ORDER BY seq DESC');
    this.maxSeq = db.prepare('SELECT max(seq) FROM _events WHERE session = ?').pluck() as Statement<
      [string],
      number | null
    >;
  }

  /** Appends an event; listeners see it after it is committed. */
  append<T extends EventType>(session: string, turn: number, type: T, payload: EventPayloads[T]): SessionEvent {
    const seq = this.nextSeq(session);
    const event = { session, seq, time: this.now(), turn, type, payload } as SessionEvent;
    if (this.unsaved.length === 0) queueMicrotask(() => this.save());
    this.unsaved.push({ event, payload: encode(payload) });
    return event;
  }

  /** Committed events after `after`, oldest first. */
  read(session: string, after: number, limit: number): SessionEvent[] {
    this.beforeRead();
    return this.page.all(session, after, limit).map((row) => toEvent(session, row));
  }

  /** The committed events of one type in one turn, oldest first (the turn's diff, its file changes). */
  ofTurn<T extends EventType>(session: string, turn: number, type: T): SessionEvent<T>[] {
    this.beforeRead();
    return this.ofType.all(session, turn, type).map((row) => toEvent(session, row) as SessionEvent<T>);
  }

  /**
   * The committed events of the given types, newest first, read from the database only as far as the caller
   * iterates (the walk back through a long session stops where the caller has what it needs). The database
   * is busy with the walk until it ends: the caller runs no other statement meanwhile.
   */
  *newestFirst<T extends EventType>(session: string, types: readonly T[]): Generator<SessionEvent<T>> {
    this.beforeRead();
    for (const row of this.newest.iterate(session)) {
      if ((types as readonly EventType[]).includes(row.type)) yield toEvent(session, row) as SessionEvent<T>;
    }
  }

  lastSeqOf(session: string): number {
    return this.lastSeq.get(session) ?? this.maxSeq.get(session) ?? 0;
  }

  onCommitted(listener: CommittedListener): void {
    this.listeners.add(listener);
  }

  /** Inserts what was appended in this turn in one go, in the current group commit. */
  private save(): void {
    const batch = this.unsaved;
    if (batch.length === 0) return;
    this.unsaved = [];
    const failed = (error: unknown) => this.log.error(`${describe(batch)} not saved: ${String(error)}`);
    let saved: Promise<void>;
    try {
      saved = this.store.transact(() => this.inserts.insert(batch));
    } catch (error) {
      // The database is closed (an event after shutdown): this runs on its own, with no caller to tell.
      failed(error);
      return;
    }
    saved.then(() => {
      for (const listener of this.listeners) listener(batch);
    }, failed);
  }

  /** A read sees every event appended before it, committed. */
  private beforeRead(): void {
    this.save();
    this.store.beforeRead();
  }

  private nextSeq(session: string): number {
    const seq = this.lastSeqOf(session) + 1;
    this.lastSeq.set(session, seq);
    return seq;
  }
}

/** The events of a batch as a log line names them: the first and the last of a long one. */
function describe(batch: readonly CommittedEvent[]): string {
  const name = ({ event }: CommittedEvent) => `${event.session}#${event.seq} (${event.type})`;
  if (batch.length === 1) return `event ${name(batch[0]!)} was`;
  return `${batch.length} events, ${name(batch[0]!)} to ${name(batch[batch.length - 1]!)}, were`;
}

function toEvent(session: string, row: EventRow): SessionEvent {
  const { seq, time, turn, type } = row;
  return { session, seq, time, turn, type, payload: decode(row.payload) } as SessionEvent;
}
