import { createPrivateKey, type KeyObject, randomBytes, sign, X509Certificate } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { CortexError } from '../../src/protocol/errors.js';
import { type CallProof, type CallStatement, signedBytes } from './call-proof.js';

interface SigningKey {
  certMtimeMs: number;
  cert: Uint8Array;
  key: KeyObject;
}

/**
 * This node's signature on the calls it starts (call-proof.ts), with the key of
 * its node certificate. The files are read again when the certificate changes
 * (a renewal, or `mesh join` bringing the first one). Nonces are a random
 * prefix of this process and a counter: never the same twice, at no cost.
 */
export class NodeSigner {
  private current: SigningKey | undefined;
  private readonly prefix = randomBytes(12).toString('base64url');
  private counter = 0;

  constructor(private readonly files: { cert: string; key: string }) {}

  prove(statement: CallStatement, now: number): CallProof {
    const { cert, key } = this.signingKey();
    const nonce = `${this.prefix}.${(this.counter++).toString(36)}`;
    return { cert, at: now, nonce, sig: sign('sha256', signedBytes(statement, now, nonce), key) };
  }

  private signingKey(): SigningKey {
    let certMtimeMs: number;
    try {
      certMtimeMs = statSync(this.files.cert).mtimeMs;
    } catch {
      throw new CortexError('ENOTFOUND', `This node has no certificate (${this.files.cert}) to sign its calls with.`);
    }
    if (this.current?.certMtimeMs === certMtimeMs) return this.current;
    const cert = new X509Certificate(readFileSync(this.files.cert)).raw;
    const key = createPrivateKey(readFileSync(this.files.key));
    this.current = { certMtimeMs, cert, key };
    return this.current;
  }
}
