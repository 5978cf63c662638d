import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, createServer, type Server, type TLSSocket } from 'node:tls';
import { pathToFileURL } from 'node:url';
import { Authority } from '../daemon/access/authority.js';
import { IdentityMap } from '../daemon/access/identity-map.js';
import { createLogger } from '../daemon/logger.js';
import { MeshEvents } from '../daemon/mesh/mesh-events.js';
import { PeerGate } from '../daemon/mesh/peer-gate.js';
import { PeerPins } from '../daemon/mesh/peer-pins.js';
import { dialPeer, listenPeers } from '../daemon/mesh/peer-tls.js';
import { Subscriptions } from '../daemon/pubsub/subscriptions.js';
import { openDatabase } from '../daemon/store/open-database.js';
import { initCa, issueCertificate, loadCa, tlsPaths } from '../daemon/tls/certificate-authority.js';
import type { TlsFiles } from '../daemon/tls/node-tls-files.js';
import { isRefusal } from '../daemon/tls/peer-certificate.js';
import { readRevocationList, signRevocationList } from '../daemon/tls/revocation-list.js';
import { Revocations } from '../daemon/tls/revocations.js';

/**
 * The cost of the mesh's handshake checks, in links per second: a mutual-TLS
 * handshake between two nodes on loopback with everything checked on both sides
 * (the CA, the kind, a revocation list of REVOKED serials, the pin), against the
 * handshake main had (TLS rejecting unverified certificates, then the OU read
 * off the certificate) in the same run, rounds alternating. The hello and the
 * replication that follow a link are the same for both and left out. Also the
 * time to verify and take a revocation list, which a node pays once per list.
 */
export interface HandshakeBenchResult {
  links: number;
  revoked: number;
  checked: Rate;
  /** The same listener and dialler with the checks left out. */
  unchecked: Rate;
  anchor: Rate;
  /** µs per call on one open link: main's check (read the certificate, its OU) and this node's whole check. */
  checkOnly: { main: number; checked: number };
  listTakeMs: { revoked: number; ms: number }[];
}

const LINKS = Number(process.env['BENCH_HANDSHAKE_LINKS'] ?? 200);
const ROUNDS = 6;
const REVOKED = 1000;

interface Node {
  files: TlsFiles;
  gate: PeerGate;
}

export async function runHandshakeBench(): Promise<HandshakeBenchResult> {
  const root = mkdtempSync(join(tmpdir(), 'cortex-handshake-'));
  const servers: Server[] = [];
  try {
    const caDir = join(root, 'ca');
    await initCa(caDir);
    const ca = await loadCa(caDir);
    const list = await signRevocationList(ca, 1, serials(REVOKED));
    const a = await node(root, caDir, 'a', list);
    const b = await node(root, caDir, 'b', list);

    const checked = await listenPeers('127.0.0.1:0', a.files, quiet(), (socket) => {
      const certificate = a.gate.check(socket, 'bench');
      if (isRefusal(certificate)) return;
      a.gate.pinOnLink(certificate);
      socket.end();
    });
    servers.push(checked.server);
    const unchecked = await listenPeers('127.0.0.1:0', a.files, quiet(), (socket) => socket.end());
    servers.push(unchecked.server);
    const anchor = await listenMainHandshake(a.files);
    servers.push(anchor.server);

    const checkedRates: Rate[] = [];
    const uncheckedRates: Rate[] = [];
    const anchorRates: Rate[] = [];
    const variants = [
      async () => checkedRates.push(await rate(() => linkChecked(checked.address, b))),
      async () => uncheckedRates.push(await rate(() => linkUnchecked(unchecked.address, b))),
      async () => anchorRates.push(await rate(() => linkMain(anchor.address, b.files))),
    ];
    // Each round starts with another variant, so that none always runs first (or last) in a round.
    for (let round = 0; round < ROUNDS; round++) {
      for (let i = 0; i < variants.length; i++) await variants[(round + i) % variants.length]!();
    }
    const checkOnly = await checkAlone(checked.address, b);
    const listTakeMs = [];
    for (const size of [REVOKED, 10 * REVOKED]) {
      const der = await signRevocationList(ca, 2, serials(size));
      const takes = Array.from({ length: 5 }, () => {
        const started = performance.now();
        readRevocationList(der, ca.cert.toString('pem'));
        return performance.now() - started;
      });
      listTakeMs.push({ revoked: size, ms: Math.round(median(takes) * 10) / 10 });
    }
    return {
      links: LINKS,
      revoked: REVOKED,
      checked: medianRate(checkedRates),
      unchecked: medianRate(uncheckedRates),
      anchor: medianRate(anchorRates),
      checkOnly,
      listTakeMs,
    };
  } finally {
    for (const server of servers) server.close();
    rmSync(root, { recursive: true, force: true });
  }
}

/** A node's certificate files, and its gate holding the revocation list and a pin for the other node. */
async function node(root: string, caDir: string, name: string, list: Uint8Array): Promise<Node> {
  const configDir = join(root, name, 'config');
  const dataDir = join(root, name, 'data');
  mkdirSync(configDir, { recursive: true });
  mkdirSync(dataDir, { recursive: true });
  const issued = await issueCertificate(caDir, { commonName: name, kind: 'node' });
  const paths = tlsPaths(configDir);
  writeFileSync(paths.nodeCert, issued.cert);
  writeFileSync(paths.nodeKey, issued.key);
  writeFileSync(paths.caCert, (await loadCa(caDir)).cert.toString('pem'));
  const log = quiet();
  const revocations = new Revocations({ caCert: paths.caCert, caCrl: paths.caCrl, saved: join(dataDir, 'r.crl') }, log);
  revocations.adopt(list);
  const pins = new PeerPins(dataDir, log);
  // The gate reports refusals as mesh events; nobody subscribes to them here.
  const subscriptions = new Subscriptions({ hardBytes: 1 << 20, softBytes: 1 << 20, softMs: 1000 }, () => {});
  const authority = new Authority(
    name,
    process.getuid?.() ?? 0,
    // No group commit runs on this database: its writes need nothing committed before them.
    new IdentityMap(openDatabase(dataDir, 'normal', { node: name }), name, (work) => work()),
  );
  const gate = new PeerGate(name, pins, revocations, log, new MeshEvents(subscriptions, Date.now, authority));
  return { files: { cert: paths.nodeCert, key: paths.nodeKey, ca: paths.caCert }, gate };
}

/** One link as the mesh makes it: dial, check the listener's certificate (pinned on the first link), close. */
async function linkChecked(address: string, dialler: Node): Promise<void> {
  const socket = await dialPeer(address, dialler.files, { checkHost: true });
  const certificate = dialler.gate.check(socket, address);
  if (isRefusal(certificate)) throw new Error(certificate.message);
  dialler.gate.pinOnLink(certificate);
  await closed(socket);
}

/** The same link with no check at all: what the checks cost is the difference. */
async function linkUnchecked(address: string, dialler: Node): Promise<void> {
  await closed(await dialPeer(address, dialler.files, { checkHost: true }));
}

/** The checks alone, repeated on one open link: TLS's share of a link left out. */
async function checkAlone(address: string, dialler: Node): Promise<{ main: number; checked: number }> {
  const socket = await dialPeer(address, dialler.files, { checkHost: true });
  const time = (check: () => unknown) => {
    for (let i = 0; i < 200; i++) check();
    const started = performance.now();
    for (let i = 0; i < 2000; i++) check();
    return Math.round(((performance.now() - started) / 2000) * 1000);
  };
  try {
    const main = time(() => nodeNameOf(socket));
    const checked = time(() => {
      const certificate = dialler.gate.verify(socket);
      if (!isRefusal(certificate)) dialler.gate.pinOnLink(certificate);
    });
    return { main, checked };
  } finally {
    socket.destroy();
  }
}

/** main's handshake: the listener rejects unverified certificates, and each side reads the OU. */
async function listenMainHandshake(files: TlsFiles): Promise<{ server: Server; address: string }> {
  const server = createServer(
    {
      cert: readFileSync(files.cert),
      key: readFileSync(files.key),
      ca: readFileSync(files.ca),
      requestCert: true,
      rejectUnauthorized: true,
      minVersion: 'TLSv1.2',
    },
    (socket) => {
      if (nodeNameOf(socket) !== undefined) socket.end();
    },
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return { server, address: `127.0.0.1:${port}` };
}

async function linkMain(address: string, files: TlsFiles): Promise<void> {
  const socket = connect({
    host: '127.0.0.1',
    port: Number(address.split(':')[1]),
    cert: readFileSync(files.cert),
    key: readFileSync(files.key),
    ca: readFileSync(files.ca),
    minVersion: 'TLSv1.2',
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('secureConnect', resolve);
    socket.once('error', reject);
  });
  if (nodeNameOf(socket) === undefined) throw new Error('not a node certificate');
  await closed(socket);
}

function nodeNameOf(socket: TLSSocket): string | undefined {
  const subject = socket.getPeerCertificate().subject as Record<string, string | undefined> | undefined;
  return subject?.['OU'] === 'node' ? subject['CN'] : undefined;
}

function closed(socket: TLSSocket): Promise<void> {
  return new Promise((resolve) => {
    socket.once('close', () => resolve());
    socket.resume();
  });
}

interface Rate {
  perSec: number;
  /** CPU of this process (both ends) per link, in µs: steadier than the rate on a busy machine. */
  cpuMicros: number;
}

async function rate(link: () => Promise<void>): Promise<Rate> {
  const started = performance.now();
  const cpu = process.cpuUsage();
  for (let i = 0; i < LINKS; i++) await link();
  const used = process.cpuUsage(cpu);
  return {
    perSec: Math.round(LINKS / ((performance.now() - started) / 1000)),
    cpuMicros: Math.round((used.user + used.system) / LINKS),
  };
}

function serials(count: number) {
  const now = Date.now();
  // Positive 128-bit serials, as the CA issues them.
  return Array.from({ length: count }, () => ({ serial: `10${randomBytes(15).toString('hex')}`, revoked: now }));
}

function median(values: number[]): number {
  const sorted = [...values].sort((x, y) => x - y);
  return sorted[Math.floor(sorted.length / 2)]!;
}

function medianRate(rates: Rate[]): Rate {
  return { perSec: median(rates.map((item) => item.perSec)), cpuMicros: median(rates.map((item) => item.cpuMicros)) };
}

function quiet() {
  return createLogger({ level: 'error', stderr: false });
}

export function formatHandshake(result: HandshakeBenchResult): string {
  const { checked, unchecked, anchor } = result;
  const row = (label: string, item: Rate) =>
    `  ${label.padEnd(58)}${String(item.perSec).padStart(6)} links/s, ${item.cpuMicros} µs CPU per link`;
  const ratio = (x: Rate, y: Rate) =>
    `${(x.perSec / y.perSec).toFixed(2)} in links/s, ${(y.cpuMicros / x.cpuMicros).toFixed(2)} in CPU`;
  return [
    `mesh handshake on loopback, ${result.links} sequential links per round, median of ${ROUNDS} rounds (both ends in one process)`,
    row(`checked (CA, kind, ${result.revoked} revoked serials, pin), both ends`, checked),
    row('the same links, nothing checked', unchecked),
    row("main's handshake (TLS verification, OU)", anchor),
    `  checked / nothing checked: ${ratio(checked, unchecked)}`,
    `  checked / main:            ${ratio(checked, anchor)}`,
    `  the checks alone, one side, on an open link: main's ${result.checkOnly.main} µs, now ${result.checkOnly.checked} µs (most of both is Node reading the certificate)`,
    ...result.listTakeMs.map(
      (item) =>
        `  taking a revocation list of ${item.revoked} serials (verify, read): ${item.ms} ms (median of 5), once per list`,
    ),
  ].join('\n');
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  runHandshakeBench().then(
    (result) => console.log(formatHandshake(result)),
    (error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    },
  );
}
