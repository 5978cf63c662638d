/**
 * The two kinds of certificate the CA issues, told apart by what the CA signed
 * into them: the subject's OU and the extended key usages. A node acts as a TLS
 * server (its mesh listener) and as a client (when it dials), so its certificate
 * carries serverAuth and clientAuth; a client certificate carries clientAuth
 * only. A certificate whose marks disagree is neither kind, and so is refused
 * everywhere. This is the one place that says so: the CA issues from it, and
 * both listeners and the dialler check by it.
 */
export type CertificateKind = 'node' | 'client';

export const SERVER_AUTH = '1.3.6.1.5.5.7.3.1';
export const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';

/** The extended key usages the CA puts in each kind. */
export const KIND_USAGES: Readonly<Record<CertificateKind, readonly string[]>> = {
  node: [SERVER_AUTH, CLIENT_AUTH],
  client: [CLIENT_AUTH],
};

/** The marks read off a certificate: its subject's OU and its extended key usages. */
export interface KindMarks {
  unit: string | undefined;
  usages: readonly string[] | undefined;
}

/** The kind a certificate's marks say, or undefined when they say none or disagree. */
export function kindOf(marks: KindMarks): CertificateKind | undefined {
  const usages = new Set(marks.usages ?? []);
  if (marks.unit === 'node' && usages.has(SERVER_AUTH) && usages.has(CLIENT_AUTH)) return 'node';
  if (marks.unit === 'client' && usages.has(CLIENT_AUTH) && !usages.has(SERVER_AUTH)) return 'client';
  return undefined;
}
