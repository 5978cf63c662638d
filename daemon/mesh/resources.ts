import { statfsSync } from 'node:fs';
import { freemem, loadavg, totalmem } from 'node:os';
import { CortexError } from '../../src/protocol/errors.js';
import type { PeerResources } from '../../src/protocol/mesh-types.js';

/**
 * This machine's figures as heartbeats and `status` report them: load, memory,
 * free disk under the data directory. `fake` replaces any of them: a testing
 * aid (CORTEX_TEST_RESOURCES) to play a busy or full machine.
 */
export function collectResources(dataDir: string, fake: Partial<PeerResources> = {}): PeerResources {
  let disk: number | null = null;
  try {
    const stats = statfsSync(dataDir);
    disk = stats.bavail * stats.bsize;
  } catch {
    // Unknown on this system: the badge shows nothing rather than a guess.
  }
  return { load: loadavg()[0] ?? 0, mem_free: freemem(), mem_total: totalmem(), disk_free: disk, ...fake };
}

const FIGURES = ['load', 'mem_free', 'mem_total', 'disk_free'] as const;

/**
 * CORTEX_TEST_RESOURCES, a JSON map such as `{"load": 9.5, "disk_free": 1000}`:
 * figures this daemon reports instead of its machine's, read once when it starts.
 * Only for tests (placement, warnings); the log says when it is set.
 */
export function fakeResources(text: string | undefined): Partial<PeerResources> {
  if (text === undefined || text === '') return {};
  const parsed = parseJson(text);
  const valid =
    parsed !== null &&
    typeof parsed === 'object' &&
    !Array.isArray(parsed) &&
    Object.entries(parsed).every(
      ([name, value]) => (FIGURES as readonly string[]).includes(name) && typeof value === 'number' && value >= 0,
    );
  if (!valid) {
    throw new CortexError(
      'EINVAL',
      `CORTEX_TEST_RESOURCES must be a JSON map of ${FIGURES.join(', ')} to numbers, not ${JSON.stringify(text)}.`,
    );
  }
  return parsed;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
