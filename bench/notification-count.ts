import { PassThrough } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { Client } from '../src/client/client.js';
import { writeNotification } from '../src/protocol/messages.js';
import { Encoder, encode } from '../src/protocol/msgpack-encode.js';
import { RawMsgpack } from '../src/protocol/msgpack-types.js';
import { InstructionCounter, rerunUnderCallgrind } from './callgrind.js';
import { renderTable } from './table.js';

/**
 * A subscriber's cost per session event, in instructions under callgrind (unmoved by the load of a shared
 * machine): a `Client` with one `event` listener takes the bytes a daemon sends for a burst of agent
 * messages (the notifications of `runtime-events.ts`'s burst, encoded as `session-topics` encodes them),
 * cut into reads of 64 KiB and of 4 KiB, and frames, decodes, routes and dispatches each.
 *
 *   node dist/bench/notification-count.js
 */
const EVENTS = 2000;
const WARM_PASSES = 40;
const COUNTED_PASSES = 10;
const WINDOWS = 3;
const READ_SIZES = [65536, 4096];
/** Set in the copy that runs under valgrind: where callgrind writes its dumps. */
const CHILD_DIR = 'BENCH_NOTIFICATION_COUNT_DIR';

/** The notifications of a burst of agent messages, back to back, as one subscriber receives them. */
function burstBytes(): Buffer {
  const out = new Encoder();
  // A session id as the daemon makes them (`s_` and eleven characters).
  const session = 's_k3v9x0q2m7a';
  for (let i = 0; i < EVENTS; i++) {
    const payload = new RawMsgpack(encode({ item_id: `i${i}`, text: `message ${i}` }));
    writeNotification(out, 'event', {
      session,
      seq: i + 3,
      time: 1_765_000_000_000 + i,
      turn: 1,
      type: 'agent_message',
      payload,
    });
  }
  return out.take();
}

/** Instructions per notification for reads of `readSize`, one count per window. */
async function countReads(counter: InstructionCounter, bytes: Buffer, readSize: number): Promise<number[]> {
  const reads: Buffer[] = [];
  for (let at = 0; at < bytes.length; at += readSize) reads.push(bytes.subarray(at, at + readSize));
  const stream = new PassThrough();
  const client = new Client(stream);
  let messages = 0;
  client.onNotification('event', (event) => {
    if (event.type === 'agent_message') messages++;
  });
  const pass = () => {
    for (const read of reads) stream.emit('data', read);
  };
  for (let i = 0; i < WARM_PASSES; i++) pass();
  const counts: number[] = [];
  for (let window = 0; window < WINDOWS; window++) {
    await counter.start();
    for (let i = 0; i < COUNTED_PASSES; i++) pass();
    counts.push((await counter.stop()) / (COUNTED_PASSES * EVENTS));
  }
  const expected = (WARM_PASSES + WINDOWS * COUNTED_PASSES) * EVENTS;
  if (messages !== expected) throw new Error(`the client took ${messages} agent messages of ${expected}`);
  client.close();
  return counts;
}

/** Under valgrind: counts each read size and prints the table. */
async function countAll(dir: string): Promise<string> {
  const counter = new InstructionCounter(process.pid, dir);
  const bytes = burstBytes();
  const rows: string[][] = [];
  for (const readSize of READ_SIZES) {
    const counts = await countReads(counter, bytes, readSize);
    rows.push([
      `${readSize / 1024} KiB`,
      String(Math.ceil(bytes.length / readSize)),
      counts.map((count) => Math.round(count).toLocaleString('en-US')).join(' / '),
    ]);
  }
  const table = renderTable(['reads of', 'reads per pass', 'instructions per notification (3 windows)'], rows, [
    'left',
    'right',
    'right',
  ]);
  const size = (bytes.length / EVENTS).toFixed(0);
  return [`A Client taking ${EVENTS} event notifications (${size} bytes each), callgrind`, '', table].join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const dir = process.env[CHILD_DIR];
  if (dir === undefined)
    process.exitCode = await rerunUnderCallgrind(import.meta.url, CHILD_DIR, { prefix: 'cortex-notification-count-' });
  else console.log(await countAll(dir));
}
