/**
 * What a test file started and must not outlive it. A test that runs past the
 * runner's timeout is cancelled, and its file's `after` hooks may never run:
 * the daemons and tmux servers it started would then keep running after the
 * file's process is gone. Each is registered here when it starts and
 * unregistered when it is cleaned up; whatever is left when the process exits
 * is ended then, synchronously, as `exit` handlers must.
 */
const leftovers = new Set<() => void>();
let guarding = false;

/** Runs `end` if the process exits before the returned function is called. */
export function endOnExit(end: () => void): () => void {
  if (!guarding) {
    guarding = true;
    process.once('exit', endLeftovers);
  }
  leftovers.add(end);
  return () => leftovers.delete(end);
}

function endLeftovers(): void {
  for (const end of leftovers) {
    try {
      end();
    } catch {
      // One that is already gone must not keep the others running.
    }
  }
  leftovers.clear();
}
