import { render } from 'ink-testing-library';
import type { ReactElement } from 'react';

export type Rendered = ReturnType<typeof render> & {
  /** The newest frame ('' before the first). */
  frame(): string;
  /**
   * Resolves with the first frame (the current one, or one still to be drawn)
   * that passes `predicate`. Woken by each frame Ink writes, not by a timer;
   * the timeout only turns a hang into a failure that shows the last frame.
   */
  waitFor(predicate: (frame: string) => boolean, what: string, timeoutMs?: number): Promise<string>;
  /**
   * Types keys as a terminal delivers them: each in its own read (its own turn
   * of the event loop), so React renders between them but need not have run
   * its effects: the timing of a fast typist, or of keys queued over ssh.
   */
  press(...keys: string[]): Promise<void>;
};

/** ink-testing-library's render, with a way to wait for a frame. */
export function renderWatched(tree: ReactElement): Rendered {
  const instance = render(tree);
  const waiters = new Set<() => void>();
  const write = instance.stdout.write;
  instance.stdout.write = (frame: string) => {
    write(frame);
    for (const waiter of [...waiters]) waiter();
  };
  const frame = () => instance.lastFrame() ?? '';
  return {
    ...instance,
    frame,
    async press(...keys) {
      for (const key of keys) {
        instance.stdin.write(key);
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
    },
    waitFor(predicate, what, timeoutMs = 15_000) {
      return new Promise<string>((resolve, reject) => {
        if (predicate(frame())) return resolve(frame());
        const waiter = () => {
          if (!predicate(frame())) return;
          waiters.delete(waiter);
          clearTimeout(timer);
          resolve(frame());
        };
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; the last frame was:\n${frame()}`));
        }, timeoutMs);
        waiters.add(waiter);
      });
    },
  };
}

/** The frame's lines with the trailing spaces Ink pads them with removed. */
export function lines(frame: string): string[] {
  return frame.split('\n').map((line) => line.trimEnd());
}
