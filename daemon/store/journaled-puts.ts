import type { JournalGroup } from './journal-frames.js';
import type { PutJournal } from './put-journal.js';
import type { BatchJournal } from './write-batcher.js';

/** Past this many bytes of journal, a turn is committed instead of journaled: replay after a crash stays short. */
const MAX_JOURNAL_BYTES = 4 * 1024 * 1024;

/**
 * The store's put journal as the batcher uses it: `rewrite` runs journaled puts
 * again in the current transaction (the store's, which knows the tables).
 */
export class JournaledPuts implements BatchJournal {
  constructor(
    private readonly file: PutJournal,
    readonly intervalMs: number,
    private readonly rewrite: (groups: JournalGroup[]) => void,
  ) {}

  get hasRoom(): boolean {
    return this.file.bytes < MAX_JOURNAL_BYTES;
  }

  write(): void {
    this.file.write();
  }

  discardTurn(): void {
    this.file.discardTurn();
  }

  empty(): void {
    this.file.empty();
  }

  restore(): void {
    this.rewrite(this.file.read());
  }
}
