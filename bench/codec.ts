import { pathToFileURL } from 'node:url';
import { Decoder, rawBytesOf } from '../src/protocol/msgpack-decode.js';
import { Encoder } from '../src/protocol/msgpack-encode.js';
import { MAX_REQUEST_DEPTH, type MsgMap, type MsgValue, RawMsgpack } from '../src/protocol/msgpack-types.js';
import { writeRequest, writeResponse } from '../src/protocol/messages.js';
import { renderTable } from './table.js';
import { record } from './workload.js';

/**
 * The project's codec against msgpackr on the project's own messages: ns per
 * message to encode and to decode a put request, a get request and the get's
 * answer, with a 100-byte and a 1 MB record. msgpackr is not a dependency: point
 * BENCH_MSGPACKR at an installed copy (`npm install --prefix /tmp/m msgpackr`,
 * then BENCH_MSGPACKR=/tmp/m/node_modules/msgpackr) to compare; without it only
 * the project's codec is measured.
 *
 * Each figure is the fastest of several rounds: on a shared machine, load only
 * ever makes a round slower.
 */
export interface Case {
  name: string;
  /** What the sender encodes (a stored record travels as RawMsgpack). */
  value: unknown;
  /** The same message as plain data, for a codec that cannot pass bytes through. */
  plain: unknown;
  /** The daemon decodes requests (keeping a put's record bytes); clients decode answers. */
  side: 'daemon' | 'client';
}

interface Packr {
  pack(value: unknown): Uint8Array;
  unpack(bytes: Uint8Array): unknown;
}

type PackrClass = new (options: Record<string, unknown>) => Packr;

const ROUNDS = 7;
/** Small messages are taken out of the encoder in bursts of about this many bytes, large ones one by one. */
const FLUSH_BYTES = 8192;

export function cases(): Case[] {
  const small = record('pf:0000000042', 42);
  const big = { id: 'big', text: 'x'.repeat(1 << 20) };
  const out: Case[] = [];
  for (const [size, stored] of [
    ['100 B', small],
    ['1 MB', big],
  ] as const) {
    const bytes = encodeOne((encoder) => encoder.encode(stored));
    const put = [0, 7, 'put', { table: 'bench', record: stored }];
    out.push({ name: `put request, ${size} record`, value: put, plain: put, side: 'daemon' });
    const answer = (record: unknown) => [1, 7, null, { record }];
    out.push({
      name: `get answer, ${size} record`,
      value: answer(new RawMsgpack(bytes)),
      plain: answer(stored),
      side: 'client',
    });
  }
  const get = [0, 7, 'get', { table: 'bench', key: 'pf:0000000042' }];
  out.splice(1, 0, { name: 'get request', value: get, plain: get, side: 'daemon' });
  return out;
}

function encodeOne(write: (encoder: Encoder) => void): Buffer {
  const encoder = new Encoder();
  write(encoder);
  return encoder.take();
}

/** Nanoseconds per call of `work`, the fastest of ROUNDS rounds of `count` calls. */
function nsPerCall(count: number, work: () => void): number {
  let best = Number.POSITIVE_INFINITY;
  for (let round = 0; round < ROUNDS; round++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < count; i++) work();
    best = Math.min(best, Number(process.hrtime.bigint() - start) / count);
  }
  return best;
}

/** Enough calls for a round of roughly 20 ms at the message's size. */
export function countFor(bytes: number): number {
  return Math.max(20, Math.min(20_000, Math.floor(20e6 / Math.max(200, bytes))));
}

interface Row {
  name: string;
  bytes: number;
  own: { encode: number; decode: number };
  msgpackr?: { encode: number; decode: number; mapDecode: number };
}

/** The own codec's work on one message, as its side does it: the encoding and the decoding of one copy. */
export interface CodecWork {
  bytes: Buffer;
  encode: () => void;
  decode: () => void;
}

export function codecWork(item: Case): CodecWork {
  const encoder = new Encoder();
  const decoder = item.side === 'daemon' ? new Decoder(MAX_REQUEST_DEPTH, new Set([2, 3])) : new Decoder();
  const [, id, method, params] = item.value as [number, number, string | null, unknown];
  const write =
    typeof method === 'string'
      ? () => writeRequest(encoder, id, method, params)
      : () => writeResponse(encoder, id, null, params);
  write();
  const bytes = encoder.take();
  return {
    bytes,
    // The connection gathers a burst of answers into one buffer and takes it once per flush.
    encode: () => {
      write();
      if (encoder.length >= FLUSH_BYTES) encoder.take();
    },
    decode: () => askForRecordBytes(decoder.decode(bytes)),
  };
}

/** As the store does with a put's record: asks for the bytes it arrived in. */
function askForRecordBytes(message: MsgValue): void {
  const params = Array.isArray(message) ? message[3] : undefined;
  if (params === null || typeof params !== 'object' || Array.isArray(params) || params instanceof Uint8Array) return;
  const record = (params as MsgMap)['record'];
  if (record !== undefined && record !== null && typeof record === 'object') rawBytesOf(record);
}

function measure(item: Case, Packr: PackrClass | undefined): Row {
  const { bytes, encode, decode } = codecWork(item);
  const count = countFor(bytes.length);
  const own = { encode: nsPerCall(count, encode), decode: nsPerCall(count, decode) };
  if (Packr === undefined) return { name: item.name, bytes: bytes.length, own };
  const objects = new Packr({ useRecords: false });
  const maps = new Packr({ useRecords: false, mapsAsObjects: false });
  const packed = objects.pack(item.plain);
  return {
    name: item.name,
    bytes: bytes.length,
    own,
    msgpackr: {
      encode: nsPerCall(count, () => objects.pack(item.plain)),
      decode: nsPerCall(count, () => objects.unpack(packed)),
      mapDecode: nsPerCall(count, () => maps.unpack(packed)),
    },
  };
}

async function loadMsgpackr(): Promise<PackrClass | undefined> {
  const where = process.env['BENCH_MSGPACKR'];
  if (where === undefined || where === '') return undefined;
  const module = (await import(pathToFileURL(`${where}/index.js`).href)) as { Packr: PackrClass };
  return module.Packr;
}

function ns(value: number | undefined): string {
  if (value === undefined) return '—';
  return value >= 10_000 ? `${Math.round(value / 1000).toLocaleString('en-US')} µs` : `${Math.round(value)} ns`;
}

function ratio(theirs: number | undefined, ours: number): string {
  return theirs === undefined ? '—' : `${(theirs / ours).toFixed(2)}×`;
}

export async function runCodecBench(): Promise<string> {
  const Packr = await loadMsgpackr();
  const rows = cases().map((item) => measure(item, Packr));
  const table = renderTable(
    [
      'message',
      'bytes',
      'encode, own',
      'encode, msgpackr',
      'msgpackr / own',
      'decode, own',
      'decode, msgpackr (objects)',
      'decode, msgpackr (Maps)',
      'msgpackr (objects) / own',
    ],
    rows.map((row) => [
      row.name,
      row.bytes.toLocaleString('en-US'),
      ns(row.own.encode),
      ns(row.msgpackr?.encode),
      ratio(row.msgpackr?.encode, row.own.encode),
      ns(row.own.decode),
      ns(row.msgpackr?.decode),
      ns(row.msgpackr?.mapDecode),
      ratio(row.msgpackr?.decode, row.own.decode),
    ]),
    ['left', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'right'],
  );
  const note =
    Packr === undefined
      ? 'msgpackr not measured: set BENCH_MSGPACKR to an installed copy to compare.'
      : 'msgpackr cannot pass stored bytes through: its get answers carry the record decoded, and encoding them re-encodes it.';
  return [`MessagePack codec, ns per message (fastest of ${ROUNDS} rounds)`, '', table, '', note].join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) console.log(await runCodecBench());
