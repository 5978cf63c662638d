import { CortexError } from '../../src/protocol/errors.js';

/** Ids remembered with their node; past this many, the oldest are forgotten (they are asked for again). */
const MAX_REMEMBERED = 100_000;

export interface LocatorContext {
  /** Whether this node holds the object. */
  holds(id: string): boolean;
  /** The nodes to ask, reachable now. */
  reachable(): string[];
  /** Asks one node whether it holds the object. */
  ask(node: string, id: string): Promise<boolean>;
}

/**
 * Which node holds an object, by its id. Ids are unique across the mesh (random,
 * 48 to 64 bits) and say nothing of their node, so old ids resolve like new
 * ones: an id this node does not hold is asked of every reachable node once,
 * in parallel, and the answer is remembered (objects never move). Listings
 * across nodes teach it too, so `session ls --all-nodes` then `session events
 * ID` asks nobody. A node that forgot an id (the object was removed) answers
 * ENOTFOUND and the id is asked for again next time.
 */
export class Locator {
  private readonly known = new Map<string, string>();

  constructor(private readonly ctx: LocatorContext) {}

  holdsLocally(id: string): boolean {
    return this.ctx.holds(id);
  }

  /** The node that holds `id` when it is another one; undefined when it is here or nowhere reachable. */
  async nodeOf(id: string): Promise<string | undefined> {
    if (this.ctx.holds(id)) return undefined;
    const remembered = this.known.get(id);
    if (remembered !== undefined) return remembered;
    const nodes = this.ctx.reachable();
    const answers = await Promise.all(nodes.map((node) => this.ctx.ask(node, id).catch(() => false)));
    const holders = nodes.filter((_, index) => answers[index]);
    if (holders.length > 1) {
      throw new CortexError('EINVAL', `${id} is held by ${holders.join(' and ')}: name the node (--node).`);
    }
    if (holders[0] !== undefined) this.learn(id, holders[0]);
    return holders[0];
  }

  learn(id: string, node: string): void {
    this.known.delete(id);
    this.known.set(id, node);
    if (this.known.size > MAX_REMEMBERED) this.known.delete(this.known.keys().next().value!);
  }

  forget(id: string): void {
    this.known.delete(id);
  }
}
