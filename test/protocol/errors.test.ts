import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CortexError, errorCode, errorData, errorFromWire } from '../../src/protocol/errors.js';

/** A CortexError as another copy of the class makes it (the TUI's bundle holds one of its own). */
class ForeignCortexError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly data?: unknown,
  ) {
    super(message);
  }
}

describe('errors recognised by their code', () => {
  it('reads the code and data of an error from any copy of the class, not by instanceof', () => {
    const foreign = new ForeignCortexError('ECONFLICT', 'README.md changed since it was read.', { hash: 'abc' });
    assert.equal(foreign instanceof CortexError, false);
    assert.equal(errorCode(foreign), 'ECONFLICT');
    assert.deepEqual(errorData(foreign), { hash: 'abc' });
    assert.equal(errorCode(errorFromWire({ code: 'ENOTFOUND', message: 'gone' })), 'ENOTFOUND');
  });

  it('gives no code for values that are not errors of the protocol', () => {
    assert.equal(errorCode(new ForeignCortexError('ENOENT', 'a code the protocol does not have')), undefined);
    assert.equal(errorCode(new Error('plain')), undefined);
    assert.equal(errorCode('ECONFLICT'), undefined);
    assert.equal(errorCode(null), undefined);
    assert.equal(errorData(undefined), undefined);
  });
});
