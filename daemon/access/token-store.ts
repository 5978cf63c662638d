import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Database, Statement } from 'better-sqlite3';
import { CortexError } from '../../src/protocol/errors.js';
import type { TokenInfo } from '../../src/protocol/methods.js';
import type { WriteApart } from '../store/write-batcher.js';

const PREFIX = 'ctk_';

interface TokenRow {
  name: string;
  hash: Buffer;
}

/**
 * Bearer tokens for TCP clients. The secret is 32 random bytes, shown once at
 * creation; `_tokens` keeps only its SHA-256 (a slow hash adds nothing to a
 * random 256-bit secret), found by an index and compared in constant time.
 */
export class TokenStore {
  private readonly insert: Statement<[string, Buffer, string, number]>;
  private readonly byHash: Statement<[Buffer], TokenRow>;
  private readonly touch: Statement<[number, string]>;
  private readonly remove: Statement<[string]>;
  private readonly listAll: Statement<[], TokenInfo>;
  private readonly revokedListeners = new Set<(name: string) => void>();

  constructor(
    db: Database,
    /** Tokens are written apart from the group commit, durable before their answer leaves. */
    private readonly apart: WriteApart,
  ) {
    this.insert = db.prepare('INSERT INTO _tokens (name, hash, creator, created) VALUES (?, ?, ?, ?)');
    this.byHash = db.prepare('SELECT name, hash FROM _tokens WHERE hash = ?');
    this.touch = db.prepare('UPDATE _tokens SET last_used = ? WHERE name = ?');
    this.remove = db.prepare('DELETE FROM _tokens WHERE name = ?');
    this.listAll = db.prepare('SELECT name, creator, created, last_used FROM _tokens ORDER BY name');
  }

  /** Creates a token and returns its secret, the only time it is ever shown. */
  create(name: string, creator: string): string {
    const token = PREFIX + randomBytes(32).toString('base64url');
    try {
      this.apart(() => this.insert.run(name, digest(token), creator, Date.now()));
    } catch (error) {
      if ((error as { code?: string }).code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
        throw new CortexError('EEXIST', `A token named ${name} already exists; revoke it first to replace it.`);
      }
      throw error;
    }
    return token;
  }

  /** The token's name when the secret is valid, else undefined. */
  verify(token: string): string | undefined {
    const hash = digest(token);
    const row = this.byHash.get(hash);
    if (row === undefined || !timingSafeEqual(row.hash, hash)) return undefined;
    this.apart(() => this.touch.run(Date.now(), row.name));
    return row.name;
  }

  list(): TokenInfo[] {
    return this.listAll.all();
  }

  revoke(name: string): void {
    if (this.apart(() => this.remove.run(name)).changes === 0)
      throw new CortexError('ENOTFOUND', `There is no token named ${name}.`);
    for (const listener of this.revokedListeners) listener(name);
  }

  /** Called with a token's name when it is revoked, so open connections using it can be closed. */
  onRevoked(listener: (name: string) => void): void {
    this.revokedListeners.add(listener);
  }
}

function digest(token: string): Buffer {
  return createHash('sha256').update(token).digest();
}
