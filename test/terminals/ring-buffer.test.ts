import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RingBuffer } from '../../daemon/terminals/ring-buffer.js';

describe('the scrollback ring buffer', () => {
  it('keeps the last capacity bytes, oldest first, across wraps and oversized chunks', () => {
    const ring = new RingBuffer(10);
    ring.push(Buffer.from('abcdef'));
    assert.equal(ring.snapshot().toString(), 'abcdef');
    ring.push(Buffer.from('ghijkl'));
    assert.equal(ring.snapshot().toString(), 'cdefghijkl');
    assert.equal(ring.size, 10);
    ring.push(Buffer.from('mn'));
    assert.equal(ring.snapshot().toString(), 'efghijklmn');
    assert.equal(ring.snapshot(3).toString(), 'lmn');
    ring.push(Buffer.from('0123456789ABCDEF'));
    assert.equal(ring.snapshot().toString(), '6789ABCDEF');
  });

  it('leaves out the newest bytes asked to (output read but not yet delivered)', () => {
    const ring = new RingBuffer(10);
    ring.push(Buffer.from('abcdefghijkl'));
    assert.equal(ring.snapshot(undefined, 2).toString(), 'cdefghij');
    assert.equal(ring.snapshot(3, 2).toString(), 'hij');
    assert.equal(ring.snapshot(undefined, 20).toString(), '');
  });

  it('grows with use up to its capacity, and never starts a snapshot inside a UTF-8 character', () => {
    const ring = new RingBuffer(1024 * 1024);
    for (let i = 0; i < 100; i++) ring.push(Buffer.from(`line ${i}\n`));
    assert.match(ring.snapshot().toString(), /^line 0\nline 1\n[\s\S]*line 99\n$/);
    const small = new RingBuffer(4);
    small.push(Buffer.from('aé€')); // 1 + 2 + 3 bytes: the oldest kept byte is inside é
    assert.equal(small.snapshot().toString('utf8'), '€');
  });
});
