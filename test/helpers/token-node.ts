import type { Client } from '../../src/client/client.js';
import { connectTls } from '../../src/client/remote.js';
import { homePaths } from '../../src/paths.js';
import { initCa, tlsPaths } from '../../daemon/tls/certificate-authority.js';
import { cleanup, type DaemonHandle, startDaemon, tempDir } from './daemon.js';
import { makeRepo } from './git-repo.js';

/**
 * A node `a` listening for TLS, with a git workspace, an administrator's client over its
 * Unix socket, and token clients the tests make: the set-up of the attacks on what a token
 * mapped onto a local user keeps once the mapping or the token goes.
 */
export class TokenNode {
  private readonly clients: Client[] = [];

  private constructor(
    readonly daemon: DaemonHandle,
    readonly admin: Client,
    readonly workspace: string,
    private readonly address: string,
    private readonly caFile: string,
    private readonly removeDirs: () => void,
  ) {}

  static async start(prefix: string): Promise<TokenNode> {
    const home = tempDir(prefix);
    const repo = tempDir(`${prefix}repo-`);
    await initCa(homePaths(home.path).configDir);
    const daemon = await startDaemon({ home: home.path, args: ['--listen', '127.0.0.1:0', '--node-name', 'a'] });
    const address = /tls listening on (\S+)/.exec(daemon.stderr())![1]!;
    const caFile = tlsPaths(homePaths(daemon.home).configDir).caCert;
    const admin = await daemon.connect();
    makeRepo(repo.path, { 'README.md': 'hello\n' });
    const workspace = (await admin.call('workspace_add', { path: repo.path })).workspace.id;
    return new TokenNode(daemon, admin, workspace, address, caFile, () => {
      repo.remove();
      home.remove();
    });
  }

  /** A client over TLS with `token`, closed by stop(). */
  async connectAs(token: string): Promise<Client> {
    const client = await connectTls({ address: this.address, ca: this.caFile, token });
    this.clients.push(client);
    return client;
  }

  /** A new token `name` mapped onto the local `user`, connected. */
  async mappedToken(name: string, user: string): Promise<Client> {
    const { token } = await this.admin.call('token_create', { name });
    await this.admin.call('acl_map', { identity: `token:${name}`, user });
    return this.connectAs(token);
  }

  /** Closes the clients and the terminals, stops the daemon, removes its home and the repository. */
  async stop(): Promise<void> {
    for (const client of this.clients) client.close();
    for (const { id } of (await this.admin.call('term_list', {})).terminals) {
      await this.admin.call('term_close', { id });
    }
    this.admin.close();
    await cleanup(this.daemon);
    this.removeDirs();
  }
}
