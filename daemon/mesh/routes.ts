import type { NodeReason, NodeSummary } from '../../src/protocol/tree-types.js';
import { MAX_GOSSIP, MAX_ROUTE, type GossipEntry } from './wire.js';

/** A node as this one knows it: online with a route, or offline since `heardAt`. */
export interface NodeView {
  node: string;
  self: boolean;
  online: boolean;
  /** 0: this node; 1: linked; more: through others. Null while offline. */
  hops: number | null;
  /** The linked peer that calls for it go through (the node itself when linked). */
  via: string | null;
  /** When this node last had news of it (ms, this node's clock); null if never. */
  heardAt: number | null;
  summary: NodeSummary | null;
  /** Why it is offline: the link's own failure, or what the peers that know it said. */
  down: { reason: NodeReason; message: string } | null;
}

/** What one link said of one node, with the time of the news on this node's clock. */
interface Report {
  hops: number;
  heardAt: number;
  /** The news was fresh when the link told it (see Routes). */
  fresh: boolean;
  summary: NodeSummary | null;
  down: GossipEntry['down'];
}

/**
 * Nodes whose last news is kept: as many as a heartbeat can tell of. Past it, the node heard of longest ago
 * is forgotten, so a peer that tells of made-up nodes, new ones each time, costs a bounded memory.
 */
const MAX_REMEMBERED = MAX_GOSSIP - 1;

/** The last news of a node, kept after it goes away so that it is shown offline (unless MAX_REMEMBERED pushes it out). */
interface LastNews {
  heardAt: number;
  summary: NodeSummary | null;
}

/**
 * Which nodes are reachable, and through which link. Every heartbeat carries
 * what its sender knows of every node (itself at 0 hops) and how old that news
 * is; a linked peer is reachable while its link is open, and a node beyond it
 * while the last heartbeat of that link said fresh news of it (younger than
 * `liveMs`, the time after which a silent link is dropped). A busy link whose
 * heartbeats come late keeps its routes until it closes, so a long stream does
 * not make its own far end look gone. News only gets younger from the node
 * itself, so a route through a loop ages out by itself, with no counting to
 * infinity; a node does not tell a peer of routes that go through that peer
 * (split horizon). Calls go through the link with the fewest hops, the
 * freshest news breaking ties.
 */
export class Routes {
  /** Open links: when each last spoke, and what it last said of every node. */
  private readonly links = new Map<string, { heardAt: number; reports: Map<string, Report> }>();
  private readonly last = new Map<string, LastNews>();

  constructor(
    private readonly me: string,
    private readonly liveMs: number,
    private readonly now: () => number,
    /** Why this node's own link with a peer is down, if it is. */
    private readonly linkError: (node: string) => { reason: NodeReason; message: string } | null,
  ) {}

  linkUp(peer: string): void {
    this.links.set(peer, { heardAt: this.now(), reports: new Map() });
    this.noteNews(peer, this.now(), null);
  }

  linkDown(peer: string): void {
    this.links.delete(peer);
  }

  /** A peer's heartbeat: it is alive, and this is what it knows. */
  learn(peer: string, entries: readonly GossipEntry[]): void {
    const link = this.links.get(peer);
    if (link === undefined) return;
    const now = this.now();
    link.heardAt = now;
    link.reports.clear();
    for (const entry of entries) {
      if (entry.node === this.me) continue;
      const heardAt = now - entry.age_ms;
      const fresh = entry.age_ms < this.liveMs;
      link.reports.set(entry.node, { hops: entry.hops, heardAt, fresh, summary: entry.summary, down: entry.down });
      if (entry.down === null) this.noteNews(entry.node, heardAt, entry.summary);
    }
  }

  /** The linked peer to send toward `node` through; undefined when it cannot be reached now. */
  nextHop(node: string): string | undefined {
    return this.best(node)?.via;
  }

  /** Hops to `node` through the best route, if there is one. */
  hopsTo(node: string): number | undefined {
    return this.best(node)?.hops;
  }

  /** Every node reachable now, this one excluded. */
  reachable(): Set<string> {
    const nodes = new Set<string>();
    for (const node of this.known()) if (this.best(node) !== undefined) nodes.add(node);
    return nodes;
  }

  /** What this node tells `peer` in its heartbeat: its own summary, and every node it knows not through `peer`. */
  gossipFor(peer: string, own: NodeSummary): GossipEntry[] {
    const now = this.now();
    const entries: GossipEntry[] = [{ node: this.me, hops: 0, age_ms: 0, summary: own, down: null }];
    const offline: string[] = [];
    for (const node of this.known()) {
      if (node === peer) continue;
      const route = this.best(node);
      if (route === undefined) {
        if (this.last.has(node)) offline.push(node);
        continue;
      }
      if (route.via === peer) continue;
      const summary = this.last.get(node)?.summary ?? null;
      // A linked peer is news as fresh as its open link, however late its heartbeats come.
      const age_ms = route.hops === 1 ? 0 : Math.max(0, now - route.heardAt);
      entries.push({ node, hops: route.hops, age_ms, summary, down: null });
    }
    return this.withinHeartbeat(entries, offline, now);
  }

  /**
   * The entries as many as a heartbeat may carry (a peer refuses more, and cuts the link): the nearest
   * reachable nodes first, then the offline ones with the latest news (down reasons are looked up for those only).
   */
  private withinHeartbeat(reachable: GossipEntry[], offline: string[], now: number): GossipEntry[] {
    if (reachable.length > MAX_GOSSIP) {
      reachable.sort((x, y) => x.hops - y.hops || x.age_ms - y.age_ms);
      reachable.length = MAX_GOSSIP;
    }
    const room = MAX_GOSSIP - reachable.length;
    if (offline.length > room) {
      offline.sort((x, y) => this.last.get(y)!.heardAt - this.last.get(x)!.heardAt);
      offline.length = room;
    }
    for (const node of offline) {
      const news = this.last.get(node)!;
      const age_ms = Math.max(0, now - news.heardAt);
      reachable.push({ node, hops: MAX_ROUTE, age_ms, summary: news.summary, down: this.downReason(node) });
    }
    return reachable;
  }

  /** Every node ever heard of, this one first. */
  view(own: NodeSummary): NodeView[] {
    return [this.selfView(own), ...[...this.known()].sort().map((node) => this.otherView(node))];
  }

  /** One node as `view` shows it, found without building the whole view; undefined when never heard of. */
  viewOf(node: string, own: () => NodeSummary): NodeView | undefined {
    if (node === this.me) return this.selfView(own());
    const heard =
      this.last.has(node) || this.links.has(node) || [...this.links.values()].some((link) => link.reports.has(node));
    return heard ? this.otherView(node) : undefined;
  }

  private selfView(own: NodeSummary): NodeView {
    return {
      node: this.me,
      self: true,
      online: true,
      hops: 0,
      via: null,
      heardAt: this.now(),
      summary: own,
      down: null,
    };
  }

  private otherView(node: string): NodeView {
    const route = this.best(node);
    const news = this.last.get(node);
    return {
      node,
      self: false,
      online: route !== undefined,
      hops: route?.hops ?? null,
      via: route?.via ?? null,
      heardAt: news?.heardAt ?? null,
      summary: news?.summary ?? null,
      down: route === undefined ? this.downReason(node) : null,
    };
  }

  /** Nodes known from links, from peers' news, or from before they went away. */
  private known(): Set<string> {
    const nodes = new Set<string>(this.last.keys());
    for (const [peer, link] of this.links) {
      nodes.add(peer);
      for (const node of link.reports.keys()) nodes.add(node);
    }
    nodes.delete(this.me);
    return nodes;
  }

  private best(node: string): { via: string; hops: number; heardAt: number } | undefined {
    const direct = this.links.get(node);
    if (direct !== undefined) return { via: node, hops: 1, heardAt: direct.heardAt };
    let best: { via: string; hops: number; heardAt: number } | undefined;
    for (const [peer, link] of this.links) {
      const report = link.reports.get(node);
      if (report === undefined || report.down !== null || !report.fresh) continue;
      const hops = report.hops + 1;
      if (hops > MAX_ROUTE) continue;
      if (best === undefined || hops < best.hops || (hops === best.hops && report.heardAt > best.heardAt)) {
        best = { via: peer, hops, heardAt: report.heardAt };
      }
    }
    return best;
  }

  /** Why a node cannot be reached: this node's own link error first, then what linked peers say. */
  private downReason(node: string): { reason: NodeReason; message: string } {
    const own = this.linkError(node);
    if (own !== null) return own;
    for (const [peer, link] of this.links) {
      const down = link.reports.get(node)?.down;
      if (down) return { reason: down.reason, message: `${peer} says: ${down.message}` };
    }
    const news = this.last.get(node);
    const silent = news === undefined ? '' : ` for ${Math.round((this.now() - news.heardAt) / 1000)} s`;
    return { reason: 'timed_out', message: `no news of ${node} through any link${silent}` };
  }

  private noteNews(node: string, heardAt: number, summary: NodeSummary | null): void {
    const known = this.last.get(node);
    if (known !== undefined && known.heardAt > heardAt) return;
    // Moved to the end: the map is kept in the order of news, the node heard of longest ago first.
    this.last.delete(node);
    this.last.set(node, { heardAt, summary: summary ?? known?.summary ?? null });
    if (this.last.size > MAX_REMEMBERED) this.last.delete(this.last.keys().next().value!);
  }
}
