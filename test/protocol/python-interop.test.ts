import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { cleanup, type DaemonHandle, startDaemon } from '../helpers/daemon.js';
import { bounded } from './raw-client.js';

const PYTHON = '/usr/bin/python3';

/**
 * A client written the way the original plan's example does it: plain `socket`
 * and the msgpack package, one `send(packb(...))` and one `unpackb(recv(...))`
 * per call. It prints one JSON object with everything it got back.
 */
const SCRIPT = String.raw`
import json, socket, sys
import msgpack

sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
sock.settimeout(10)
sock.connect(sys.argv[1])

def call(message):
    sock.send(msgpack.packb(message))
    return msgpack.unpackb(sock.recv(65536))

def plain(value):
    if isinstance(value, bytes):
        return {"bytes": list(value)}
    if isinstance(value, msgpack.Timestamp):
        return {"seconds": value.seconds, "nanoseconds": value.nanoseconds}
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(item) for item in value]
    return value

out = {"msgpack_version": list(msgpack.version)}
out["ping"] = call([0, 1, "ping", {}])
out["create"] = call([0, 2, "create_table", {"name": "py", "attributes": ["id", "name", "n"], "indexes": ["name"]}])
record = {
    "id": "u1", "name": "alice", "n": 42, "neg": -129, "big": 2**40, "u64": 2**64 - 1, "f": 1.5,
    "ok": True, "none": None, "tags": ["a", "b"], "raw": b"\x00\x01\xff", "text": "h\u00e9llo \U0001F600",
    "at": msgpack.Timestamp(1700000000, 123000000),
    "__proto__": {"polluted": "yes"}, "constructor": "c",
}
out["put"] = call([0, 3, "put", {"table": "py", "record": record}])
out["get"] = call([0, 4, "get", {"table": "py", "key": "u1"}])
# Generic msgpack-rpc clients send params as an array holding one map.
out["get_array_params"] = call([0, 5, "get", [{"table": "py", "key": "u1"}]])
out["match"] = call([0, 6, "match", {"table": "py", "pattern": {"name": "alice"}}])
out["missing_table"] = call([0, 7, "get", {"table": "nope", "key": "u1"}])
out["unknown_method"] = call([0, 8, "no_such_method", {}])
out["bad_key"] = call([0, 9, "get", {"table": "py", "key": 1.5}])

# Pipelining: two requests in one send, answers read with a streaming Unpacker.
sock.send(msgpack.packb([0, 10, "ping", {}]) + msgpack.packb([0, 11, "get", {"table": "py", "key": "nobody"}]))
unpacker = msgpack.Unpacker()
answers = []
while len(answers) < 2:
    unpacker.feed(sock.recv(65536))
    answers.extend(unpacker)
out["pipelined"] = sorted(answers, key=lambda answer: answer[1])

print(json.dumps(plain(out)))
`;

/** A response as the Python client printed it: [1, msgid, error, result]. */
type Answer = [number, number, { code: string; message: string } | null, unknown];

describe('a Python msgpack client (python3-msgpack) talking to a live daemon', () => {
  let daemon: DaemonHandle | undefined;

  before(async () => {
    daemon = await startDaemon();
  });

  after(async () => {
    await cleanup(daemon);
  });

  it('python3 and its msgpack package are installed', () => {
    const probe = spawnSync(PYTHON, ['-c', 'import msgpack; print(msgpack.version)'], { encoding: 'utf8' });
    assert.equal(
      probe.status,
      0,
      `${PYTHON} with the msgpack package is needed for this test: install it with ` +
        `"apt-get install python3-msgpack" (Debian's package; .ci/run installs it). ` +
        `${probe.error?.message ?? probe.stderr}`,
    );
  });

  it('creates a table, puts, gets, matches and gets error answers with sock.send(packb) / unpackb(sock.recv)', async () => {
    const { code, stdout, stderr } = await bounded(runPython(daemon!.socket), 'the Python client');
    assert.equal(
      code,
      0,
      `the Python client failed (is python3-msgpack installed? "apt-get install python3-msgpack"): ${stderr}`,
    );
    const out = JSON.parse(stdout) as Record<string, Answer | Answer[] | number[]>;
    const answer = (name: string): Answer => out[name] as Answer;

    assert.deepEqual(answer('ping'), [1, 1, null, { pong: true }]);
    assert.equal(answer('create')[2], null, JSON.stringify(answer('create')));
    assert.deepEqual(answer('put'), [1, 3, null, { ok: true }]);

    const expected = {
      id: 'u1',
      name: 'alice',
      n: 42,
      neg: -129,
      big: 2 ** 40,
      u64: 2 ** 64 - 1, // JSON on the Python side prints the exact integer; JavaScript reads it as a float
      f: 1.5,
      ok: true,
      none: null,
      tags: ['a', 'b'],
      raw: { bytes: [0, 1, 255] },
      text: 'héllo 😀',
      at: { seconds: 1_700_000_000, nanoseconds: 123_000_000 },
      // A computed key is an own property; a plain `__proto__:` in a literal would set the prototype.
      ['__proto__']: { polluted: 'yes' },
      constructor: 'c',
    };
    assert.ok(Object.hasOwn(expected, '__proto__'));
    const got = answer('get');
    assert.deepEqual([got[0], got[1], got[2]], [1, 4, null]);
    const record = (got[3] as { record: Record<string, unknown> }).record;
    // JSON.parse keeps __proto__ as an own key; compare key by key to stay clear of prototypes.
    assert.ok(Object.hasOwn(record, '__proto__'));
    assert.equal(Object.getPrototypeOf(record), Object.prototype);
    assert.deepEqual(Object.keys(record).sort(), Object.keys(expected).sort());
    for (const [key, value] of Object.entries(expected)) assert.deepEqual(record[key], value, `record.${key}`);
    assert.deepEqual(answer('get_array_params')[3], got[3]);
    assert.deepEqual(answer('get_array_params').slice(0, 3), [1, 5, null]);
    assert.deepEqual(answer('match')[3], { records: [record], truncated: false });

    const missing = answer('missing_table');
    assert.deepEqual([missing[0], missing[1], missing[3]], [1, 7, null]);
    assert.equal(missing[2]?.code, 'ENOTFOUND');
    assert.match(missing[2]?.message ?? '', /nope/);
    assert.equal(answer('unknown_method')[2]?.code, 'ENOTFOUND');
    assert.equal(answer('bad_key')[2]?.code, 'EINVAL');

    assert.deepEqual(out['pipelined'], [
      [1, 10, null, { pong: true }],
      [1, 11, null, { record: null }],
    ]);
  });
});

function runPython(socket: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(PYTHON, ['-c', SCRIPT, socket], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (text: string) => (stdout += text));
    child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}
