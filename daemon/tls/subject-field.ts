/** One field (its first) of a certificate's subject as Node's X509Certificate prints it, one `KEY=value` a line. */
export function subjectField(subject: string, key: 'CN' | 'OU'): string | undefined {
  for (const line of subject.split('\n')) if (line.startsWith(`${key}=`)) return line.slice(key.length + 1);
  return undefined;
}
