import type { NodeReason } from '../../src/protocol/tree-types.js';

const CERTIFICATE = /certificate|CERT_|self[- ]signed|unable to verify|issuer|answers as|its certificate names/i;
const TIMED_OUT = /ETIMEDOUT|timed out|within \d+ ms|sent nothing for|no hello|no heartbeat|bytes unread/i;
const REFUSED = /ECONNREFUSED|EHOSTUNREACH|ENETUNREACH|refused|disconnected from|clock of/i;

/**
 * Why a link failed, in the few words listings and errors use, from the
 * sentence the link or the dial ended with: a certificate the other side or
 * this one would not take, no answer in time (or output left unread past the
 * bound: the peer does not keep up), a refusal (nothing listening, or the peer
 * said no), or a link that simply went down.
 */
export function linkReason(message: string): NodeReason {
  if (CERTIFICATE.test(message)) return 'certificate';
  if (TIMED_OUT.test(message)) return 'timed_out';
  if (REFUSED.test(message)) return 'refused';
  return 'link_down';
}
