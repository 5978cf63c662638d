/**
 * A record's version: the hybrid logical clock of its last write and the node that
 * wrote it. Versions are totally ordered, by clock and then by node name, so two
 * replicas that saw the same writes in any order pick the same winner, even for
 * concurrent writes (or deletes) stamped with the same clock value.
 */
export interface Version {
  hlc: number;
  node: string;
}

export function compareVersions(a: Version, b: Version): number {
  if (a.hlc !== b.hlc) return a.hlc < b.hlc ? -1 : 1;
  if (a.node === b.node) return 0;
  return a.node < b.node ? -1 : 1;
}
