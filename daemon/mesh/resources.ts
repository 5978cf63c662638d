import { statfsSync } from 'node:fs';
import { freemem, loadavg, totalmem } from 'node:os';
import type { PeerResources } from '../../src/protocol/mesh-types.js';

/** What a heartbeat tells peers about this machine: load, memory, free disk under the data directory. */
export function collectResources(dataDir: string): PeerResources {
  let disk: number | null = null;
  try {
    const stats = statfsSync(dataDir);
    disk = stats.bavail * stats.bsize;
  } catch {
    // Unknown on this system: the badge shows nothing rather than a guess.
  }
  return { load: loadavg()[0] ?? 0, mem_free: freemem(), mem_total: totalmem(), disk_free: disk };
}
