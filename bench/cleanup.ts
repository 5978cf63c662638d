let interrupted = false;

/** True once Ctrl-C or SIGTERM started the cleanup: the errors that follow (closed sockets) are expected. */
export function wasInterrupted(): boolean {
  return interrupted;
}

interface Resource {
  name: string;
  release: () => void | Promise<void>;
  /** Synchronous last resort for when the process is exiting and cannot await. */
  emergency: () => void;
  done: boolean;
}

/**
 * Everything the bench starts (daemons, redis, temp dirs) is registered here
 * the moment it exists, so an exception, Ctrl-C or SIGTERM halfway through a
 * suite still kills every process and removes every directory.
 */
export class Resources {
  private readonly stack: Resource[] = [];
  private readonly onExit = () => this.emergencyAll();
  private readonly onSignal = (signal: NodeJS.Signals) => {
    interrupted = true;
    console.error(`\nbench: ${signal}, cleaning up`);
    void this.releaseAll().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
  };

  constructor() {
    process.on('exit', this.onExit);
    process.once('SIGINT', this.onSignal);
    process.once('SIGTERM', this.onSignal);
  }

  /** Registers a resource; the returned function releases it early (a suite that finished) and only once. */
  add(
    name: string,
    release: () => void | Promise<void>,
    emergency: () => void = () => void release(),
  ): () => Promise<void> {
    const resource: Resource = { name, release, emergency, done: false };
    this.stack.push(resource);
    return async () => {
      if (resource.done) return;
      resource.done = true;
      await resource.release();
    };
  }

  /** Releases in reverse order of creation: a process dies before its directory is removed. */
  async releaseAll(): Promise<void> {
    while (this.stack.length > 0) {
      const resource = this.stack.pop()!;
      if (resource.done) continue;
      resource.done = true;
      try {
        await resource.release();
      } catch (error) {
        console.error(`bench: releasing ${resource.name} failed: ${String(error)}`);
      }
    }
  }

  dispose(): void {
    process.off('exit', this.onExit);
    process.off('SIGINT', this.onSignal);
    process.off('SIGTERM', this.onSignal);
  }

  private emergencyAll(): void {
    for (const resource of this.stack.reverse()) {
      if (resource.done) continue;
      resource.done = true;
      try {
        resource.emergency();
      } catch {
        // Exiting anyway; the other resources still deserve their chance.
      }
    }
  }
}
