/**
 * What a test file started and must not outlive it. A test that runs past the
 * runner's timeout is cancelled, and its file's `after` hooks may never run:
 * the daemons and tmux servers it started would then keep running after the
 * file's process is gone. Each is registered here when it starts and
 * unregistered when it is cleaned up; whatever is left when the process exits
 * is ended then, synchronously, as `exit` handlers must.
 *
 * A signal that ends the process (`timeout` sends SIGTERM, a terminal Ctrl-C
 * SIGINT) runs no `exit` handler, so those end the leftovers too, and then the
 * process dies of the same signal, as it would have without the guard.
 */
const leftovers = new Set<() => void>();
let guarding = false;
const ENDING_SIGNALS = ['SIGTERM', 'SIGINT', 'SIGHUP'] as const;

/** Runs `end` if the process exits before the returned function is called. */
export function endOnExit(end: () => void): () => void {
  if (!guarding) {
    guarding = true;
    process.once('exit', endLeftovers);
    for (const signal of ENDING_SIGNALS) process.once(signal, () => endThenDie(signal));
  }
  leftovers.add(end);
  return () => leftovers.delete(end);
}

function endThenDie(signal: NodeJS.Signals): void {
  endLeftovers();
  // Another listener means someone else handles this signal: leave the process to them.
  if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
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
