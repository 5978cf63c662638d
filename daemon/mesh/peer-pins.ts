import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CortexError } from '../../src/protocol/errors.js';
import type { Logger } from '../logger.js';
import { writeFileAtomic } from '../tls/atomic-file.js';
import type { RevocationCheck, VerifiedCertificate } from '../tls/peer-certificate.js';

/** The certificate a peer was first seen with. */
export interface Pin {
  fingerprint: string;
  serial: string;
  /** ms since the epoch */
  not_after: number;
  /** When it was pinned (ms since the epoch). */
  pinned: number;
}

/** How a presented certificate compares with the pin of its name. */
export type PinVerdict =
  | { kind: 'pinned' }
  | { kind: 'first' }
  /** The pinned certificate was revoked or has expired: a new one takes its place (a renewal). */
  | { kind: 'renewal'; because: 'revoked' | 'expired'; old: Pin }
  | { kind: 'mismatch'; pin: Pin };

/**
 * Peers pinned by certificate, trust on first use as ssh's known_hosts: the first
 * link with a node name remembers its certificate's fingerprint, and a different
 * certificate for that name is refused from then on. A pin gives way by itself
 * only when its certificate can no longer be used anyway: revoked by the CA, or
 * expired. That is how a renewal works (see docs/design.md); anything else needs
 * an administrator's `cluster forget NAME`.
 *
 * Kept in the data directory (`peer-pins.json`, written whole and renamed into
 * place), beside the database rather than in it: pins are trust, not replicated
 * data, and an administrator can read them.
 */
export class PeerPins {
  private readonly pins = new Map<string, Pin>();
  private readonly file: string;

  constructor(
    dataDir: string,
    private readonly log: Logger,
  ) {
    this.file = join(dataDir, 'peer-pins.json');
    if (!existsSync(this.file)) return;
    try {
      const saved = JSON.parse(readFileSync(this.file, 'utf8')) as Record<string, Pin>;
      for (const [node, pin] of Object.entries(saved)) {
        if (typeof pin?.fingerprint === 'string') this.pins.set(node, pin);
      }
    } catch (error) {
      // Never start over silently: that would pin whatever links next, an impostor included.
      throw new CortexError(
        'EINVAL',
        `${this.file} does not parse (${(error as Error).message}): fix it, or remove it to pin every peer again on its next link.`,
      );
    }
  }

  get(node: string): Pin | undefined {
    return this.pins.get(node);
  }

  compare(node: string, certificate: VerifiedCertificate, revocations: RevocationCheck, now = Date.now()): PinVerdict {
    const pin = this.pins.get(node);
    if (pin === undefined) return { kind: 'first' };
    if (pin.fingerprint === certificate.fingerprint) return { kind: 'pinned' };
    if (revocations.isRevoked(pin.serial)) return { kind: 'renewal', because: 'revoked', old: pin };
    if (pin.not_after <= now) return { kind: 'renewal', because: 'expired', old: pin };
    return { kind: 'mismatch', pin };
  }

  /** Pins `certificate` for `node` (a first link, or a renewal) and saves the pins. */
  pin(node: string, certificate: VerifiedCertificate): void {
    this.pins.set(node, {
      fingerprint: certificate.fingerprint,
      serial: certificate.serial,
      not_after: certificate.notAfter,
      pinned: Date.now(),
    });
    this.save();
  }

  forget(node: string): boolean {
    const had = this.pins.delete(node);
    if (had) this.save();
    return had;
  }

  private save(): void {
    try {
      writeFileAtomic(this.file, `${JSON.stringify(Object.fromEntries(this.pins), null, 2)}\n`, 0o600);
    } catch (error) {
      // Held in memory all the same; the next link writes them again.
      this.log.error(`could not save ${this.file}: ${(error as Error).message}`);
    }
  }
}
