import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { connectUnix } from '../../src/client/client.js';
import { CortexError } from '../../src/protocol/errors.js';
import { clientSocket, daemonPaths } from '../../src/paths.js';
import { IDENTITY_NAME } from '../../src/protocol/access-types.js';
import { NODE_NAME } from '../../src/protocol/store-types.js';
import { toJson } from '../../src/json-values.js';
import { type CliContext, type Command, line, type OptionValues } from '../context.js';
import { printTable } from '../table-output.js';
import { required } from '../parse-input.js';

export const caCommand: Command = {
  name: 'ca',
  usage:
    'ca init | ca issue node --name N [--host H,...] [--out DIR] [--force] | ca issue client --name N | ca install DIR [--force] | ca revoke NAME | ca revoke --serial HEX | ca list',
  summary:
    "The mesh's certificate authority: its key stays on this machine; issue node and client certificates, install one, revoke.",
  options: {
    name: { type: 'string' },
    host: { type: 'string', multiple: true },
    out: { type: 'string' },
    force: { type: 'boolean' },
    serial: { type: 'string' },
  },
  async run(context, args, options) {
    const verb = required(args, 0, 'init, issue, install, revoke or list');
    switch (verb) {
      case 'init':
        return init(context);
      case 'issue':
        return issue(context, args, options);
      case 'install':
        return install(context, args, options);
      case 'revoke':
        return revoke(context, args, options);
      case 'list':
        return list(context);
      default:
        throw new CortexError('EINVAL', `ca takes init, issue, install, revoke or list, not ${JSON.stringify(verb)}.`);
    }
  },
};

// The X.509 library is loaded only by these commands.
const authority = () => import('../../daemon/tls/certificate-authority.js');

function configDirOf(context: CliContext): string {
  return daemonPaths(context.global, context.env).configDir;
}

async function init(context: CliContext): Promise<void> {
  const files = await (await authority()).initCa(configDirOf(context));
  line(context.stdout, `created CA ${files.cert} (key ${files.key}: it never leaves this machine)`);
}

async function issue(context: CliContext, args: string[], options: OptionValues): Promise<void> {
  const kind = required(args, 1, 'node or client');
  if (kind !== 'node' && kind !== 'client') {
    throw new CortexError('EINVAL', `ca issue takes node or client, not ${JSON.stringify(kind)}.`);
  }
  const name = (options['name'] as string | undefined) ?? (kind === 'node' ? hostname().split('.')[0] : undefined);
  const pattern = kind === 'node' ? NODE_NAME : IDENTITY_NAME;
  if (name === undefined || !pattern.test(name)) {
    const what =
      kind === 'node' ? 'a node name (letters, digits, _ . -)' : 'a valid identity (letters, digits, _ . @ : -)';
    throw new CortexError('EINVAL', `ca issue ${kind} needs --name with ${what}.`);
  }
  const configDir = configDirOf(context);
  if (kind === 'client') {
    const files = await (await authority()).issueToFiles(configDir, { commonName: name, kind, hosts: [] });
    line(context.stdout, `issued client certificate ${files.cert} (key ${files.key})`);
    return;
  }
  const hosts = ((options['host'] as string[] | undefined) ?? []).flatMap((item) => item.split(',')).filter(Boolean);
  const out = options['out'] === undefined ? configDir : resolve(options['out'] as string);
  const { writeNodeBundle } = await import('../../daemon/tls/node-bundle.js');
  const files = await writeNodeBundle(configDir, { name, hosts }, out, options['force'] === true);
  line(context.stdout, `issued node certificate for ${name}: ${files.join(', ')}`);
  if (out !== configDir) {
    line(context.stdout, `copy ${out} to ${name} and run there: cortex ca install DIR (ca.key stays here)`);
  }
}

async function install(context: CliContext, args: string[], options: OptionValues): Promise<void> {
  const from = resolve(required(args, 1, 'the directory ca issue node --out wrote'));
  const { installNodeBundle } = await import('../../daemon/tls/node-bundle.js');
  const configDir = configDirOf(context);
  const { name, files } = installNodeBundle(from, configDir, options['force'] === true);
  line(context.stdout, `installed the node certificate of ${name}: ${files.join(', ')}`);
  line(
    context.stdout,
    `start (or restart) the daemon as node ${name}: cortex daemon --node-name ${name} --mesh-listen HOST:PORT`,
  );
}

async function revoke(context: CliContext, args: string[], options: OptionValues): Promise<void> {
  const serial = options['serial'] as string | undefined;
  const name = args[1];
  if ((serial === undefined) === (name === undefined)) {
    throw new CortexError('EINVAL', 'ca revoke takes a name (every certificate issued to it) or --serial HEX.');
  }
  if (serial !== undefined && !/^[0-9A-Fa-f:]{1,128}$/.test(serial)) {
    throw new CortexError('EINVAL', `--serial must be a serial number in hex, not ${JSON.stringify(serial)}.`);
  }
  const { revokeCertificates } = await import('../../daemon/tls/revoke.js');
  const paths = daemonPaths(context.global, context.env);
  const result = await revokeCertificates(
    paths.configDir,
    paths.dataDir,
    serial !== undefined ? { serial } : { name: name! },
  );
  for (const entry of result.revoked) {
    line(context.stdout, `revoked ${entry.serial}${entry.name === null ? '' : ` (${entry.name})`}`);
  }
  line(
    context.stdout,
    `revocation list #${result.list.number} (${result.list.serials.size} revoked) written to ${result.file}`,
  );
  line(context.stdout, await handToDaemon(context, result.list.der));
}

/**
 * Gives the new list to the daemon on this machine, when one runs (none is
 * started for it: a daemon reads ca.crl when it starts), which cuts revoked
 * links at once and sends the list to its peers.
 */
async function handToDaemon(context: CliContext, crl: Uint8Array): Promise<string> {
  const socket = clientSocket(context.global, context.env);
  let client;
  try {
    client = await connectUnix(socket, { connectTimeoutMs: 2000 });
  } catch {
    return `no daemon answers on ${socket}: it takes the list when it starts, and its peers get it from it`;
  }
  try {
    const answer = await client.call('cluster_revocations', { crl });
    return `the daemon enforces list #${answer.number} and sends it to its peers`;
  } finally {
    client.close();
  }
}

async function list(context: CliContext): Promise<void> {
  const { readIssued, normalizeSerial } = await import('../../daemon/tls/issued-ledger.js');
  const { tlsPaths } = await authority();
  const { existsSync, readFileSync } = await import('node:fs');
  const { readRevocationList } = await import('../../daemon/tls/revocation-list.js');
  const paths = tlsPaths(configDirOf(context));
  const issued = readIssued(paths.caIssued);
  const revoked =
    existsSync(paths.caCrl) && existsSync(paths.caCert)
      ? readRevocationList(readFileSync(paths.caCrl), readFileSync(paths.caCert, 'utf8')).serials
      : new Set<string>();
  const now = Date.now();
  const state = (serial: string, notAfter: number) =>
    revoked.has(normalizeSerial(serial)) ? 'revoked' : notAfter <= now ? 'expired' : 'valid';
  if (context.global.json) {
    for (const entry of issued) line(context.stdout, toJson({ ...entry, state: state(entry.serial, entry.not_after) }));
    return;
  }
  if (issued.length === 0) {
    line(context.stderr, `This CA has issued no certificate yet (${paths.caIssued}).`);
    return;
  }
  printTable(context.stdout, [
    ['NAME', 'KIND', 'SERIAL', 'ISSUED', 'EXPIRES', 'STATE'],
    ...issued.map((entry) => [
      entry.name,
      entry.kind,
      entry.serial,
      new Date(entry.issued).toISOString().slice(0, 10),
      new Date(entry.not_after).toISOString().slice(0, 10),
      state(entry.serial, entry.not_after),
    ]),
  ]);
}
