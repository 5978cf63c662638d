import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HLC_PER_MS, HybridClock } from '../../daemon/store/hlc.js';

describe('the hybrid logical clock', () => {
  it('follows the wall clock and never repeats within a millisecond', () => {
    const clock = new HybridClock(() => 1000);
    const first = clock.tick();
    assert.equal(first, 1000 * HLC_PER_MS);
    assert.equal(clock.tick(), first + 1);
    assert.equal(clock.tick(), first + 2);
  });

  it('never goes backwards when the wall clock does', () => {
    let now = 5000;
    const clock = new HybridClock(() => now);
    const before = clock.tick();
    now = 4000;
    assert.ok(clock.tick() > before);
  });

  it('moves past a remote timestamp it observes', () => {
    const clock = new HybridClock(() => 1000);
    clock.observe(1010 * HLC_PER_MS + 7);
    assert.equal(clock.tick(), 1010 * HLC_PER_MS + 8);
  });

  it('refuses a remote timestamp too far ahead of local time', () => {
    const clock = new HybridClock(() => 1000, 0, 60_000);
    assert.throws(() => clock.observe((1000 + 61_000) * HLC_PER_MS), { code: 'EINVAL' });
    assert.equal(clock.tick(), 1000 * HLC_PER_MS);
  });

  it('resumes after the last timestamp it was given at start', () => {
    const clock = new HybridClock(() => 1000, 2000 * HLC_PER_MS);
    assert.equal(clock.tick(), 2000 * HLC_PER_MS + 1);
  });
});
