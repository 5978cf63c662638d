import { existsSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { X509Certificate } from 'node:crypto';
import { CortexError } from '../../src/protocol/errors.js';
import { issueToFiles, tlsPaths } from './certificate-authority.js';

export interface TlsFiles {
  cert: string;
  key: string;
  ca: string;
}

/**
 * The node's certificate (for the TLS listener and the mesh), issued from the CA
 * in the config directory the first time when its key is there. A node that was
 * only given ca.crt, node.crt and node.key (certificates issued on another
 * machine) uses those.
 */
export async function nodeTlsFiles(
  configDir: string,
  nodeName: string,
  hosts: string[],
  what: string,
): Promise<TlsFiles> {
  const paths = tlsPaths(configDir);
  if (!existsSync(paths.caCert) || (!existsSync(paths.nodeCert) && !existsSync(paths.caKey))) {
    throw new CortexError(
      'ENOTFOUND',
      `${what} needs this node's CA in ${configDir}: run cortex ca init (or copy ca.crt and ca.key there, or ca.crt, node.crt and node.key issued for this node).`,
    );
  }
  if (!existsSync(paths.nodeCert)) {
    await issueToFiles(configDir, { commonName: nodeName, kind: 'node', hosts: [hostname(), ...hosts] });
  }
  return { cert: paths.nodeCert, key: paths.nodeKey, ca: paths.caCert };
}

/** The CN a certificate file was issued to. */
export function certificateName(file: string): string | undefined {
  const subject = new X509Certificate(readFileSync(file)).subject;
  return /^CN=(.*)$/m.exec(subject)?.[1];
}
