import { webcrypto } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { TLSSocket } from 'node:tls';
import { CortexError } from '../../src/protocol/errors.js';
import { FrameScanner } from '../../src/protocol/frame-scanner.js';
import { REQUEST, requestShapeError, RESPONSE } from '../../src/protocol/messages.js';
import { decode } from '../../src/protocol/msgpack-decode.js';
import { encode } from '../../src/protocol/msgpack-encode.js';
import type { MsgValue } from '../../src/protocol/msgpack-types.js';
import { NODE_NAME } from '../../src/protocol/store-types.js';
import { arrayOf, bytes, object, string } from '../../src/protocol/validate.js';
import type { Logger } from '../logger.js';
import { ALGORITHM, loadCa, signCertificate, tlsPaths } from '../tls/certificate-authority.js';
import type { Revocations } from '../tls/revocations.js';
import type { Invitations } from './invitations.js';

/** How long a joining node has to send its request, and the most it may send. */
const REQUEST_MS = 10_000;
const MAX_REQUEST_BYTES = 64 * 1024;
/** A wrong secret is answered this late, as a wrong token is: guessing costs time. */
const REFUSAL_DELAY_MS = 1000;

const parseJoin = object({
  secret: string({ pattern: /^[A-Za-z0-9_-]{43}$/, what: 'an invitation secret' }),
  name: string({ pattern: NODE_NAME, what: 'a node name' }),
  public_key: bytes({ max: 1024 }),
  hosts: arrayOf(string({ pattern: /^[A-Za-z0-9.:_-]{1,253}$/, what: 'a host name or address' }), { max: 16 }),
});

export interface JoinDeskContext {
  me: string;
  configDir: string;
  log: Logger;
  invitations: Invitations;
  revocations: Revocations;
  /** Whether a node of this name is known here already (pinned, or this node itself). */
  known(name: string): boolean;
}

/**
 * The CA machine's side of `mesh join`: a connection to its mesh listener that
 * presents no certificate may send one request, `join {secret, name, public_key,
 * hosts}`. A pending invitation's secret (taken, so used once) gets back a node
 * certificate for that public key, the CA's certificate and the revocation
 * list; anything else gets `refuse()`, as any peer without a certificate does.
 * The new node's private key never travels, and neither does ca.key.
 */
export function serveJoin(socket: TLSSocket, from: string, ctx: JoinDeskContext, refuse: () => void): void {
  const scanner = new FrameScanner(8);
  const chunks: Buffer[] = [];
  let length = 0;
  const timer = setTimeout(() => socket.destroy(), REQUEST_MS);
  const onData = (chunk: Buffer) => {
    chunks.push(chunk);
    length += chunk.length;
    if (length > MAX_REQUEST_BYTES) return stop(refuse);
    let end: number;
    try {
      end = scanner.scan(chunk, 0);
    } catch {
      // Not MessagePack: not a join.
      return stop(refuse);
    }
    if (end === -1) return;
    const received = Buffer.concat(chunks);
    stop(() => void answer(received.subarray(0, received.length - chunk.length + end)));
  };
  const stop = (next: () => void) => {
    clearTimeout(timer);
    socket.off('data', onData);
    next();
  };
  const answer = async (message: Buffer) => {
    let id = 0;
    let result: unknown = null;
    let error: CortexError | null = null;
    try {
      const request = joinRequest(decode(message));
      id = request.id;
      if (request.method !== 'join') return refuse();
      result = await join(parseJoin(request.params, 'join'), from, ctx);
    } catch (caught) {
      error = caught instanceof CortexError ? caught : new CortexError('EINTERNAL', String(caught));
    }
    if (error?.code === 'EACCES') await new Promise((resolve) => setTimeout(resolve, REFUSAL_DELAY_MS));
    socket.end(encode([RESPONSE, id, error === null ? null : error.toWire(), result as MsgValue]));
  };
  socket.on('data', onData);
  socket.on('error', () => clearTimeout(timer));
}

/** The one request a joining node sends, `[0, msgid, "join", params]`, checked. */
function joinRequest(message: MsgValue): { id: number; method: string; params: MsgValue } {
  if (!Array.isArray(message) || message[0] !== REQUEST) {
    throw new CortexError('EPROTO', 'A request must be the array [0, msgid, method, params].');
  }
  const shapeError = requestShapeError(message);
  if (shapeError !== undefined) throw shapeError;
  const params = message[3] ?? null;
  return {
    id: message[1] as number,
    method: message[2] as string,
    params: Array.isArray(params) && params.length === 1 ? (params[0] ?? null) : params,
  };
}

async function join(
  request: { secret: string; name: string; public_key: Uint8Array; hosts: string[] },
  from: string,
  ctx: JoinDeskContext,
): Promise<{ cert: string; ca: string; crl: Uint8Array | null }> {
  const { name } = request;
  const invitation = ctx.invitations.take(request.secret);
  if (invitation === undefined) {
    ctx.log.warn(`mesh: ${from} tried to join as ${name} with an invitation that is unknown, used or expired`);
    throw new CortexError(
      'EACCES',
      `${ctx.me} knows no such invitation: it was used already, it expired, or ${ctx.me} restarted since; ask for a new one (cortex mesh invite).`,
    );
  }
  if (invitation.name !== undefined && invitation.name !== name) {
    ctx.log.warn(
      `mesh: ${from} tried to join as ${name} with an invitation for ${invitation.name}; the invitation is void now`,
    );
    throw new CortexError(
      'EACCES',
      `The invitation is for a node named ${invitation.name}, and this node is ${name}: start it with --node-name ${invitation.name} and ask for a new invitation.`,
    );
  }
  if (ctx.known(name)) {
    throw new CortexError(
      'EEXIST',
      `A node named ${name} is known to ${ctx.me} already: pick another name, or forget the old node first (cortex cluster forget ${name}).`,
    );
  }
  let publicKey: CryptoKey;
  try {
    publicKey = await webcrypto.subtle.importKey('spki', request.public_key, ALGORITHM, true, ['verify']);
  } catch {
    throw new CortexError('EINVAL', 'public_key must be an ECDSA P-256 public key (SPKI).');
  }
  const ca = await loadCa(ctx.configDir);
  const cert = await signCertificate(
    ca,
    { commonName: name, kind: 'node', hosts: [...request.hosts, ...invitation.hosts] },
    publicKey,
  );
  ctx.log.info(`mesh: issued a node certificate to ${name} (${from}) for its invitation`);
  return {
    cert,
    ca: readFileSync(tlsPaths(ctx.configDir).caCert, 'utf8'),
    crl: ctx.revocations.current?.der ?? null,
  };
}
