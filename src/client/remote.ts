import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Duplex } from 'node:stream';
import { connect as tlsConnect } from 'node:tls';
import { parseAddress } from '../address.js';
import { CortexError } from '../protocol/errors.js';
import { Client, openWithin } from './client.js';

export interface TlsOptions {
  /** HOST:PORT of the daemon's TLS listener. */
  address: string;
  /** The node CA's certificate, to verify the daemon by. */
  ca: string;
  /** A bearer token, sent with `auth` before anything else. */
  token?: string | undefined;
  /** A client certificate and key issued by the node's CA (identity = its CN). */
  cert?: string | undefined;
  key?: string | undefined;
  connectTimeoutMs?: number;
}

function readFile(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    throw new CortexError(
      'ENOTFOUND',
      `Cannot read ${what} ${path}: ${(error as NodeJS.ErrnoException).code ?? 'error'}.`,
    );
  }
}

/** Connects to a remote daemon over TLS, verifying it by the CA, and authenticates. */
export async function connectTls(options: TlsOptions): Promise<Client> {
  const { host, port } = parseAddress(options.address);
  if ((options.cert === undefined) !== (options.key === undefined)) {
    throw new CortexError('EINVAL', 'A client certificate needs both --cert and --key.');
  }
  const socket = tlsConnect({
    host,
    port,
    ca: readFile(options.ca, 'the CA certificate'),
    cert: options.cert ? readFile(options.cert, 'the client certificate') : undefined,
    key: options.key ? readFile(options.key, 'the client key') : undefined,
    servername: /^[\d.:]+$/.test(host) ? undefined : host,
  });
  socket.setNoDelay(true);
  const timeoutMs = options.connectTimeoutMs ?? 5000;
  const client = await openWithin(
    new Client(socket, { openOn: 'secureConnect' }),
    timeoutMs,
    `No TLS answer from ${options.address} within ${timeoutMs} ms.`,
    (error) => `Could not reach the daemon at ${options.address}: ${error.message}.`,
  );
  if (options.token !== undefined) {
    try {
      await client.call('auth', { token: options.token });
    } catch (error) {
      client.close();
      throw error;
    }
  }
  return client;
}

/**
 * Reaches a daemon through ssh with no port open: runs `ssh HOST cortex bridge`,
 * whose standard input and output are joined to the remote daemon's Unix socket,
 * so the remote daemon sees the ssh user through SO_PEERCRED. `sshCommand`
 * replaces `ssh` (like GIT_SSH), for a wrapper or a test's stand-in.
 */
export async function connectSsh(
  target: string,
  sshCommand: readonly string[] = ['ssh'],
  remoteCortex = 'cortex',
): Promise<Client> {
  const [command, ...args] = sshCommand;
  const child = spawn(command!, [...args, target, remoteCortex, 'bridge'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
  const stream = Duplex.from({ readable: child.stdout, writable: child.stdin });
  const client = new Client(stream);
  client.onClose(() => child.kill());
  const exited = new Promise<never>((_, reject) =>
    child.once('close', (code) =>
      reject(
        new CortexError(
          'ECONNREFUSED',
          `ssh ${target} ended (${code ?? 'signal'}): ${stderr.trim().split('\n').pop() ?? ''}`,
        ),
      ),
    ),
  );
  const spawned = new Promise<never>((_, reject) =>
    child.once('error', (error) =>
      reject(new CortexError('ECONNREFUSED', `Could not run ${command}: ${error.message}.`)),
    ),
  );
  await Promise.race([client.call('ping', {}), exited, spawned]);
  return client;
}
