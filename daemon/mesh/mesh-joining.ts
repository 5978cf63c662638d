import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import type { TLSSocket } from 'node:tls';
import { CortexError } from '../../src/protocol/errors.js';
import type { Logger } from '../logger.js';
import { holdsCa, tlsPaths } from '../tls/certificate-authority.js';
import type { Revocations } from '../tls/revocations.js';
import { Invitations } from './invitations.js';
import { joinMesh } from './join.js';
import { serveJoin } from './join-desk.js';
import { formatJoinToken } from './join-token.js';

export interface JoiningContext {
  me: string;
  configDir: string;
  log: Logger;
  revocations: Revocations;
  /** HOST:PORT of this node's mesh listener, or null. */
  listenAddress(): string | null;
  /** This node itself, or a node it has pinned or is linked with. */
  knows(name: string): boolean;
}

/**
 * Both ends of joining with a token: on the CA machine, the invitations it
 * hands out (`mesh invite`) and the desk that answers a join on its listener; on
 * a new node, fetching its certificate with the token (`mesh join`).
 */
export class MeshJoining {
  private readonly invitations = new Invitations();

  constructor(private readonly ctx: JoiningContext) {}

  /** mesh_invite: a one-time token, good for `ttlMs`, for the node `name` only when one is given. */
  invite(options: { name: string | undefined; ttlMs: number; hosts: string[] }): {
    token: string;
    expires: number;
    address: string;
  } {
    const { configDir, me, log } = this.ctx;
    if (!holdsCa(configDir)) {
      throw new CortexError(
        'ENOTFOUND',
        `${me} does not hold the mesh's CA: invite from the machine that ran cortex ca init, whose ca.key never leaves it.`,
      );
    }
    const address = this.ctx.listenAddress();
    if (address === null) {
      throw new CortexError(
        'EINVAL',
        `A joining node reaches ${me} on its mesh listener: start it with --mesh-listen HOST:PORT.`,
      );
    }
    if (options.name !== undefined && this.ctx.knows(options.name)) {
      throw new CortexError(
        'EEXIST',
        `A node named ${options.name} is known here already (cortex cluster forget ${options.name} first).`,
      );
    }
    const expires = Date.now() + options.ttlMs;
    const secret = this.invitations.create({ name: options.name, hosts: options.hosts, expires });
    const caDer = new X509Certificate(readFileSync(tlsPaths(configDir).caCert)).raw;
    log.info(
      `mesh: invitation made${options.name === undefined ? '' : ` for ${options.name}`}, good until ${new Date(expires).toISOString()}`,
    );
    return { token: formatJoinToken(caDer, secret), expires, address };
  }

  /**
   * A connection with no certificate: on the CA machine it may ask to join (and
   * hears why not, when it may not); elsewhere it is refused at once. Returns
   * whether the desk took it.
   */
  serve(socket: TLSSocket, from: string, refuse: () => void): boolean {
    if (!holdsCa(this.ctx.configDir)) return false;
    const { me, configDir, log, revocations } = this.ctx;
    const desk = {
      me,
      configDir,
      log,
      invitations: this.invitations,
      revocations,
      known: (name: string) => this.ctx.knows(name),
    };
    serveJoin(socket, from, desk, refuse);
    return true;
  }

  /**
   * mesh_join: this node's certificate from the node at `address`, for a key made
   * here (it never leaves), with this node's host names in it. Returns the mesh's
   * revocation list when it has one.
   */
  fetchCertificate(
    token: string,
    address: string,
    force: boolean,
    listenHost: string | undefined,
  ): Promise<Uint8Array | null> {
    const everywhere = listenHost === undefined || /^(0\.0\.0\.0|::|\[::\])$/.test(listenHost);
    const hosts = [hostname(), ...(everywhere ? [] : [listenHost])];
    return joinMesh({ configDir: this.ctx.configDir, token, address, node: this.ctx.me, hosts, force });
  }
}
