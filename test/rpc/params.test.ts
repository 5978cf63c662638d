import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { CortexError } from '../../src/protocol/errors.js';
import { type MethodName, methods } from '../../src/protocol/methods.js';
import { notifications } from '../../src/protocol/notifications.js';
import { namedParams } from '../../src/protocol/params.js';
import { type Check, object, optional, string } from '../../src/protocol/validate.js';

const README = fileURLToPath(new URL('../../../README.md', import.meta.url));

function refusal(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    assert.ok(error instanceof CortexError, String(error));
    assert.equal(error.code, 'EINVAL');
    return error.message;
  }
  return assert.fail('expected EINVAL');
}

describe('positional params', () => {
  const get = methods.get.params.fields;

  it("take each method's fields in the order they are declared", () => {
    assert.deepEqual(get, ['table', 'key']);
    // reverse came last, so positional callers of before keep their meaning.
    assert.deepEqual(methods.all.params.fields, ['table', 'limit', 'cursor', 'versions', 'reverse']);
    assert.deepEqual(namedParams('get', get, ['users', 'u1']), { table: 'users', key: 'u1' });
    assert.deepEqual(namedParams('all', methods.all.params.fields, ['users', null, null, true]), {
      table: 'users',
      versions: true,
    });
  });

  it('leave the map forms as they were: a map, an array holding one map, nil, an empty array', () => {
    assert.deepEqual(namedParams('get', get, { table: 't', key: 1 }), { table: 't', key: 1 });
    assert.deepEqual(namedParams('get', get, [{ table: 't', key: 1 }]), { table: 't', key: 1 });
    assert.deepEqual(namedParams('ping', [], null), {});
    assert.deepEqual(namedParams('ping', [], []), {});
  });

  it('refuse too many, an array starting with a map, and anything else, naming the forms', () => {
    assert.match(
      refusal(() => namedParams('get', get, ['t', 1, 2])),
      /get must be a map \(or its params in order: table, key\), not an array of 3 items/,
    );
    assert.match(
      refusal(() => namedParams('get', get, [{ table: 't' }, {}])),
      /not an array starting with a map/,
    );
    assert.match(
      refusal(() => namedParams('ping', [], [1])),
      /ping must be a map \(it takes no params\)/,
    );
    assert.match(
      refusal(() => namedParams('ping', [], 'x')),
      /not "x"/,
    );
  });

  it('are never ambiguous: no method takes a map as its first param', () => {
    for (const [name, spec] of Object.entries(methods)) {
      const first = spec.params.fields[0];
      if (first === undefined) continue;
      const message = refusal(() => spec.params({ [first]: { a: 1 } }, 'params'));
      assert.match(message, new RegExp(`params\\.${first}`), name);
    }
  });

  it('keep a reliable order: a field named like an array index is refused where it is declared', () => {
    assert.throws(() => object({ a: string(), 1: string() }), /would not keep its declared order/);
  });

  it("are documented in the README's method table in the same order", () => {
    let rows = 0;
    for (const line of readFileSync(README, 'utf8').split('\n')) {
      const row = /^\| `([a-z_]+)` +\| `\{([^}]*)\}`/.exec(line);
      if (row === null || !Object.hasOwn(methods, row[1]!)) continue;
      rows++;
      const listed = row[2]!.split(',').map((field) => field.trim().replace(/[?:].*$/, ''));
      assert.deepEqual(listed, methods[row[1] as MethodName].params.fields, row[1]);
    }
    assert.ok(rows > 10, `only ${rows} method rows found`);
  });
});

describe("an object's check", () => {
  const shout: Check<string> = (value) => `${String(value)}!`;
  const check = object({ a: string(), b: shout, c: string(), d: optional(string()) });

  it('answers with the map itself when every field is there and no check changed it', () => {
    const same = object({ a: string(), c: string() });
    const value = { c: 'z', a: 'x' };
    assert.equal(same(value, 'params'), value);
  });

  it('answers with a new map in declared order, fields before a changed one kept, when a check changes a field or one is missing', () => {
    const changed = check({ d: 'w', c: 'z', b: 'y', a: 'x' }, 'params');
    assert.deepEqual(Object.entries(changed), [
      ['a', 'x'],
      ['b', 'y!'],
      ['c', 'z'],
      ['d', 'w'],
    ]);
    const missing = object({ a: string(), d: optional(string()) });
    const value = { a: 'x' };
    const answer = missing(value, 'params');
    assert.notEqual(answer, value);
    assert.deepEqual(Object.entries(answer), [['a', 'x']]);
  });
});

describe('the notification table', () => {
  it('is in the README, each notification with the topics that send it', () => {
    const rows = new Map<string, string>();
    for (const line of readFileSync(README, 'utf8').split('\n')) {
      const row = /^\| `([a-z_]+)` +\| .* \| (.*) \|$/.exec(line);
      if (row !== null && Object.hasOwn(notifications, row[1]!)) rows.set(row[1]!, row[2]!);
    }
    for (const [name, spec] of Object.entries(notifications)) {
      const sentTo = rows.get(name);
      assert.ok(sentTo !== undefined, `${name} has no row in the README`);
      for (const prefix of spec.topics) assert.ok(sentTo.includes(`\`${prefix}`), `${name} is sent on ${prefix}`);
    }
  });
});
