import { pathToFileURL } from 'node:url';
import { InstructionCounter, rerunUnderCallgrind } from './callgrind.js';
import { cases, codecWork, countFor } from './codec.js';
import { renderTable } from './table.js';

/**
 * The own codec's instructions per message, counted under callgrind: the same
 * messages and work as `bench/codec.ts`, but a count that other load on the
 * machine does not move, so two builds can be compared on a shared machine.
 *
 *   node dist/bench/codec-count.js
 *
 * It runs itself again under valgrind. Each message is encoded and decoded
 * WARM_ROUNDS rounds first, so the JIT has settled, then counted for COUNTED_ROUNDS more.
 */
const WARM_ROUNDS = 10;
/** Rounds counted: enough calls that a garbage collection more or less moves the count little. */
const COUNTED_ROUNDS = 10;
/** Set in the copy that runs under valgrind: where callgrind writes its dumps. */
const CHILD_DIR = 'BENCH_CODEC_COUNT_DIR';

async function countOne(counter: InstructionCounter, calls: number, work: () => void): Promise<number> {
  for (let i = 0; i < WARM_ROUNDS * calls; i++) work();
  await counter.start();
  for (let i = 0; i < COUNTED_ROUNDS * calls; i++) work();
  return (await counter.stop()) / (COUNTED_ROUNDS * calls);
}

/** Under valgrind: counts every message and prints the table. */
async function countAll(dir: string): Promise<string> {
  const counter = new InstructionCounter(process.pid, dir);
  const rows: string[][] = [];
  for (const item of cases()) {
    const { bytes, encode, decode } = codecWork(item);
    const calls = countFor(bytes.length);
    const encoded = await countOne(counter, calls, encode);
    const decoded = await countOne(counter, calls, decode);
    rows.push([item.name, bytes.length.toLocaleString('en-US'), round(encoded), round(decoded)]);
  }
  const table = renderTable(['message', 'bytes', 'encode, instructions', 'decode, instructions'], rows, [
    'left',
    'right',
    'right',
    'right',
  ]);
  return ['MessagePack codec, instructions per message (callgrind)', '', table].join('\n');
}

function round(value: number): string {
  return Math.round(value).toLocaleString('en-US');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const dir = process.env[CHILD_DIR];
  if (dir === undefined)
    process.exitCode = await rerunUnderCallgrind(import.meta.url, CHILD_DIR, { prefix: 'cortex-codec-count-' });
  else console.log(await countAll(dir));
}
