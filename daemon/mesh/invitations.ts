import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** One pending invitation: its secret's hash, the node name it is for (if any), and until when it holds. */
export interface Invitation {
  name: string | undefined;
  hosts: string[];
  expires: number;
}

interface Pending extends Invitation {
  hash: Buffer;
}

/**
 * The invitations this node (the CA machine) has handed out with `mesh invite`.
 * Each is a 32-byte random secret, shown once, kept here only as its SHA-256 and
 * compared in constant time; it is used once (taken even when the join then
 * fails), and it expires. They live in memory only: a restart voids them all.
 */
export class Invitations {
  private readonly pending: Pending[] = [];

  create(invitation: Invitation): string {
    const secret = randomBytes(32).toString('base64url');
    this.pending.push({ ...invitation, hash: digest(secret) });
    return secret;
  }

  /** The invitation `secret` opens, removed so that it cannot be used again; undefined when none (or expired). */
  take(secret: string, now = Date.now()): Invitation | undefined {
    const hash = digest(secret);
    const index = this.pending.findIndex((item) => timingSafeEqual(item.hash, hash));
    const taken = index === -1 ? undefined : this.pending.splice(index, 1)[0];
    this.drop(now);
    return taken !== undefined && taken.expires > now ? taken : undefined;
  }

  get count(): number {
    return this.pending.length;
  }

  private drop(now: number): void {
    for (let i = this.pending.length - 1; i >= 0; i--) {
      if (this.pending[i]!.expires <= now) this.pending.splice(i, 1);
    }
  }
}

function digest(secret: string): Buffer {
  return createHash('sha256').update(secret).digest();
}
