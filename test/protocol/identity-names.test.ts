import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatIdentity, isIdentityText, parseIdentity } from '../../src/protocol/identity-names.js';
import { qualifyLegacyName } from '../../daemon/identity/legacy-names.js';

const full = (text: string) => {
  const parts = parseIdentity(text, 'here');
  return parts === undefined ? undefined : formatIdentity(parts);
};

describe('identity names', () => {
  it('completes the short forms with the local node, and keeps full ones', () => {
    assert.equal(full('alice'), 'user:alice@here');
    assert.equal(full('root@a'), 'user:root@a');
    assert.equal(full('token:ci'), 'token:ci@here');
    assert.equal(full('cert:alice@a'), 'cert:alice@a');
    assert.equal(full('user:#1000@a'), 'user:#1000@a');
    assert.equal(full('node:b'), 'node:b');
    // The node is after the last @: a CN may be an e-mail address.
    assert.deepEqual(parseIdentity('cert:alice@example.com@a', 'here'), {
      kind: 'cert',
      name: 'alice@example.com',
      node: 'a',
    });
  });

  it('refuses what is not an identity', () => {
    for (const text of ['', 'who?', 'group:x@a', 'user:a@b@c', 'alice@', '@a', 'user:x@bad node', 'node:', 'a b']) {
      assert.equal(isIdentityText(text), false, text);
    }
    assert.equal(isIdentityText('x'.repeat(300)), false);
  });

  it('turns names stored before identities named their node into full ones', () => {
    const tokens = new Set(['ci@x']);
    const qualify = (name: string) => qualifyLegacyName(name, 'n', (token) => tokens.has(token));
    assert.equal(qualify('root'), 'user:root@n');
    assert.equal(qualify('user:1000'), 'user:#1000@n');
    assert.equal(qualify('ci@x'), 'token:ci@x@n');
    assert.equal(qualify('bob@corp'), 'cert:bob@corp@n');
    assert.equal(qualify('user:root@a'), 'user:root@a', 'a full name is kept');
  });
});
