import { existsSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { X509Certificate } from 'node:crypto';
import { CortexError } from '../../src/protocol/errors.js';
import { holdsCa, issueToFiles, tlsPaths } from './certificate-authority.js';
import { subjectField } from './subject-field.js';

export interface TlsFiles {
  cert: string;
  key: string;
  ca: string;
}

/**
 * The node's certificate (for the TLS listener and the mesh). A node is given
 * ca.crt, node.crt and node.key, issued on the CA machine (`ca issue node --out`,
 * then `ca install`, or `mesh join`). Only the CA machine itself, which holds
 * ca.key, issues its own node certificate when it has none: the CA key is never
 * copied to another node, so no other node can mint certificates.
 */
export async function nodeTlsFiles(
  configDir: string,
  nodeName: string,
  hosts: string[],
  what: string,
): Promise<TlsFiles> {
  const paths = tlsPaths(configDir);
  if (!existsSync(paths.nodeCert) && holdsCa(configDir)) {
    await issueToFiles(configDir, { commonName: nodeName, kind: 'node', hosts: [hostname(), ...hosts] });
  }
  if (!existsSync(paths.caCert) || !existsSync(paths.nodeCert) || !existsSync(paths.nodeKey)) {
    throw new CortexError(
      'ENOTFOUND',
      `${what} needs this node's certificate in ${configDir}: on the machine that holds the CA, run cortex ca issue node --name ${nodeName} --out DIR, bring DIR here and run cortex ca install DIR (or join with cortex mesh join TOKEN HOST:PORT).`,
    );
  }
  return { cert: paths.nodeCert, key: paths.nodeKey, ca: paths.caCert };
}

/** The CN a certificate file was issued to. */
export function certificateName(file: string): string | undefined {
  const subject = new X509Certificate(readFileSync(file)).subject;
  return subjectField(subject, 'CN');
}
