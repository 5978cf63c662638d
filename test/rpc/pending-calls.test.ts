import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CortexError } from '../../src/protocol/errors.js';
import { PendingCalls } from '../../src/rpc/pending-calls.js';

const timedOut = (method: string) => new CortexError('ETIMEDOUT', `${method} timed out.`);

describe('pending calls', () => {
  it('keeps a call that waits across many laps of the table and settles each call with its own answer', async () => {
    const calls = new PendingCalls(timedOut);
    const slowId = calls.allocate();
    const slow = calls.wait(slowId, 'slow', 0);
    // Thousands of quick calls pass the slow one's slot again and again; none may take its msgid.
    for (let i = 0; i < 5_000; i++) {
      const id = calls.allocate();
      assert.notEqual(id, slowId, `msgid ${id} was handed out while a call still waits for it`);
      const answer = calls.wait(id, 'quick', 0);
      assert.equal(calls.settle(id, null, i), true);
      assert.equal(await answer, i);
    }
    assert.equal(calls.size, 1);
    assert.equal(calls.settle(slowId, null, 'slow answer'), true);
    assert.equal(await slow, 'slow answer');
    assert.equal(calls.size, 0);
  });

  it('grows past many calls in flight and finds every one, in any order of answers', async () => {
    const calls = new PendingCalls(timedOut);
    const ids = Array.from({ length: 3_000 }, () => {
      const id = calls.allocate();
      return { id, answer: calls.wait(id, 'get', 0) };
    });
    assert.equal(new Set(ids.map(({ id }) => id)).size, ids.length, 'every call in flight has its own msgid');
    for (let i = ids.length - 1; i >= 0; i -= 2) assert.equal(calls.settle(ids[i]!.id, null, i), true);
    for (let i = ids.length - 2; i >= 0; i -= 2) assert.equal(calls.settle(ids[i]!.id, null, i), true);
    assert.deepEqual(
      await Promise.all(ids.map(({ answer }) => answer)),
      ids.map((_, i) => i),
    );
  });

  it('drops an answer to a msgid nobody waits for, a late one, or one for a call of a former lap', async () => {
    const calls = new PendingCalls(timedOut);
    const id = calls.allocate();
    const answer = calls.wait(id, 'get', 0);
    assert.equal(calls.settle(id + 64, null, 'stranger'), false, 'same slot, another msgid');
    assert.equal(calls.settle(id + 1, null, 'never asked'), false);
    assert.equal(calls.settle(id, { code: 'ENOTFOUND', message: 'No such record.' }, null), true);
    await assert.rejects(answer, (error: CortexError) => error.code === 'ENOTFOUND');
    assert.equal(calls.settle(id, null, 'again'), false, 'a call settles once');
  });

  it('fails a call at its deadline and then ignores its answer; rejectAll fails the rest', async () => {
    const calls = new PendingCalls(timedOut);
    const late = calls.allocate();
    const timed = calls.wait(late, 'slow_method', 5);
    await assert.rejects(
      timed,
      (error: CortexError) => error.code === 'ETIMEDOUT' && /slow_method/.test(error.message),
    );
    assert.equal(calls.settle(late, null, 'too late'), false);
    const open = [calls.allocate(), calls.allocate()].map((id) => calls.wait(id, 'get', 0));
    calls.rejectAll('The connection closed.');
    for (const call of open) await assert.rejects(call, (error: CortexError) => error.code === 'ECLOSED');
    assert.equal(calls.size, 0);
  });
});
