import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CortexError } from '../../src/protocol/errors.js';
import type { Logger } from '../logger.js';
import { writeFileAtomic } from './atomic-file.js';
import { normalizeSerial } from './issued-ledger.js';
import { readRevocationList, type RevocationList } from './revocation-list.js';

/** Where a daemon keeps the newest revocation list it has seen. */
export function savedListPath(dataDir: string): string {
  return join(dataDir, 'revocations.crl');
}

/**
 * The revocation list this node enforces: the newest one signed by the CA that
 * it has seen, whether `ca revoke` wrote it here (the CA machine's ca.crl) or a
 * peer brought it. Every list is checked against ca.crt before it is taken, and
 * only a higher number replaces the one held, so a peer can neither forge a list
 * nor bring back an older, shorter one. Both listeners and every link ask it.
 */
export class Revocations {
  private list: RevocationList | undefined;
  private readonly listeners = new Set<(list: RevocationList) => void>();

  constructor(
    private readonly files: { caCert: string; caCrl: string; saved: string },
    private readonly log: Logger,
  ) {}

  /** At start: the newer of the CA's own list (on the CA machine) and the one this node saved. */
  load(): void {
    for (const file of [this.files.caCrl, this.files.saved]) {
      if (!existsSync(file)) continue;
      try {
        this.adopt(readFileSync(file));
      } catch (error) {
        this.log.warn(`${file} is not used: ${(error as Error).message}`);
      }
    }
  }

  get current(): RevocationList | undefined {
    return this.list;
  }

  /** The held list's number; 0 when there is none. */
  get number(): number {
    return this.list?.number ?? 0;
  }

  isRevoked(serial: string): boolean {
    return this.list?.serials.has(normalizeSerial(serial)) ?? false;
  }

  /**
   * Takes `der` when it is signed by this mesh's CA and newer than the list held,
   * saves it and tells the listeners; resolves whether it was taken. Throws EINVAL
   * when it does not verify.
   */
  adopt(der: Uint8Array): boolean {
    // Every peer brings the list in its hello: the one held is not checked again.
    if (this.list !== undefined && Buffer.compare(this.list.der, der) === 0) return false;
    if (!existsSync(this.files.caCert)) {
      throw new CortexError(
        'EINVAL',
        `The revocation list was refused: there is no ${this.files.caCert} to check it by.`,
      );
    }
    const list = readRevocationList(der, readFileSync(this.files.caCert, 'utf8'));
    if (list.number <= this.number) return false;
    this.list = list;
    for (const listener of this.listeners) listener(list);
    try {
      writeFileAtomic(this.files.saved, der);
    } catch (error) {
      // Enforced all the same; a peer brings it again after a restart.
      this.log.warn(`could not save revocation list #${list.number}: ${(error as Error).message}`);
    }
    return true;
  }

  onChange(listener: (list: RevocationList) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
