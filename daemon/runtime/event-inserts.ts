import type { Database, Statement } from 'better-sqlite3';
import type { SessionEvent } from '../../src/protocol/session-events.js';
import { eachStatement, valuesList } from '../store/multi-row.js';

/** Rows per statement, largest first. 64 rows bind 384 parameters, far below SQLite's limit of 32,766. */
const ROWS_PER_STATEMENT = [64, 16, 4, 1] as const;
const COLUMNS = 6;

type Params = (string | number | Buffer)[];

/** An event to insert, with its payload as the MessagePack bytes it is stored as. */
export interface EventRow {
  event: Pick<SessionEvent, 'session' | 'seq' | 'time' | 'turn' | 'type'>;
  payload: Buffer;
}

/**
 * Inserts a batch of events with as few statement runs as a few fixed sizes allow: a multi-row
 * `INSERT ... VALUES (...), (...)` of 64 rows, then 16, 4 and 1 for the rest. Each run of a statement pays
 * better-sqlite3's fixed cost (bind, step, reset, the result object) once for its rows instead of once per row;
 * the rows and their order are the same as one insert per event.
 */
export class EventInserts {
  /** By rows per statement. */
  private readonly bySize: Statement<[Params]>[] = [];

  constructor(db: Database) {
    for (const rows of ROWS_PER_STATEMENT) {
      this.bySize[rows] = db.prepare<[Params]>(
        `INSERT INTO _events (session, seq, time, turn, type, payload) VALUES ${valuesList('(?, ?, ?, ?, ?, ?)', rows)}`,
      );
    }
  }

  insert(batch: readonly EventRow[]): void {
    eachStatement(batch.length, ROWS_PER_STATEMENT, (from, rows) =>
      this.bySize[rows]!.run(paramsOf(batch, from, rows)),
    );
  }
}

function paramsOf(batch: readonly EventRow[], from: number, rows: number): Params {
  const params: Params = new Array<string | number | Buffer>(rows * COLUMNS);
  for (let row = 0, at = 0; row < rows; row++) {
    const { event, payload } = batch[from + row]!;
    params[at++] = event.session;
    params[at++] = event.seq;
    params[at++] = event.time;
    params[at++] = event.turn;
    params[at++] = event.type;
    params[at++] = payload;
  }
  return params;
}
