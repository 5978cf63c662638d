/** The parts of a V8 .cpuprofile (what `node --cpu-prof` writes) that the summary reads. */
interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
}

export interface HotSpot {
  name: string;
  /** Samples in this function itself, as a share of all non-idle samples. */
  selfPct: number;
  /** Samples with this function anywhere on the stack (counted once per stack). */
  totalPct: number;
}

export interface ProfileSummary {
  samples: number;
  functions: HotSpot[];
  /** Self time by source file (native and V8 internals grouped under their own names). */
  files: HotSpot[];
  /** The project's own functions by inclusive time: where each part of the daemon's work starts. */
  inclusive: HotSpot[];
}

/** Where a frame comes from, short enough for a table: `daemon/store/store.js:120`. */
function where(frame: ProfileNode['callFrame']): { file: string; name: string } {
  const url = frame.url.replace(/^file:\/\//, '');
  const inDist = url.indexOf('/dist/');
  const file = url === '' ? '(native)' : inDist >= 0 ? url.slice(inDist + '/dist/'.length) : url;
  const fn = frame.functionName === '' ? '(anonymous)' : frame.functionName;
  if (url === '') return { file: fn.startsWith('(') ? fn : '(native)', name: fn };
  return { file, name: `${fn} ${file}:${frame.lineNumber + 1}` };
}

/**
 * Self and inclusive time per function from a CPU profile, as shares of the
 * time the daemon was busy: `(idle)` is left out, so 10% means a tenth of the
 * daemon's work, not of the wall clock.
 */
export function summarizeProfile(text: string, top = 15): ProfileSummary {
  const profile = JSON.parse(text) as CpuProfile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const hasParent = new Set(profile.nodes.flatMap((node) => node.children ?? []));
  const self = new Map<string, number>();
  const total = new Map<string, number>();
  const files = new Map<string, number>();
  let busy = 0;

  // Inclusive time needs the stack: walk the call tree, remembering which functions are already on the path.
  const onPath = new Map<string, number>();
  const visit = (node: ProfileNode): number => {
    const { file, name } = where(node.callFrame);
    const idle = name === '(idle)';
    onPath.set(name, (onPath.get(name) ?? 0) + 1);
    let hits = idle ? 0 : (node.hitCount ?? 0);
    if (hits > 0) {
      busy += hits;
      self.set(name, (self.get(name) ?? 0) + hits);
      files.set(file, (files.get(file) ?? 0) + hits);
    }
    for (const child of node.children ?? []) {
      const next = byId.get(child);
      if (next) hits += visit(next);
    }
    const depth = onPath.get(name)!;
    // Only the outermost frame of a recursive function adds its subtree, so nothing counts twice.
    if (depth === 1) total.set(name, (total.get(name) ?? 0) + hits);
    if (depth === 1) onPath.delete(name);
    else onPath.set(name, depth - 1);
    return hits;
  };
  for (const node of profile.nodes) if (!hasParent.has(node.id)) visit(node);

  const pct = (hits: number) => (busy === 0 ? 0 : (100 * hits) / busy);
  const spot = (name: string): HotSpot => ({
    name,
    selfPct: pct(self.get(name) ?? 0),
    totalPct: pct(total.get(name) ?? 0),
  });
  const ranked = (source: Map<string, number>) =>
    [...source.entries()].sort((a, b) => b[1] - a[1]).map(([name]) => name);
  return {
    samples: busy,
    functions: ranked(self).slice(0, top).map(spot),
    files: ranked(files)
      .slice(0, top)
      .map((name) => ({ name, selfPct: pct(files.get(name)!), totalPct: Number.NaN })),
    inclusive: ranked(total)
      .filter((name) => /(?:^| )(?:src|daemon|bin)\//.test(name))
      .slice(0, top + 10)
      .map(spot),
  };
}
