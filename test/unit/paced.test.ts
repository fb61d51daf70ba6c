import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pacedEach, type Pacer } from '../../shared/paced';

/** A pacer whose work takes `groupMs` per group (each group reads it twice) and whose pauses only move it on. */
function fakePacer(groupMs: number) {
  let t = 0;
  let reads = 0;
  const sleeps: number[] = [];
  const pacer: Pacer = {
    now: () => (reads++ % 2 === 1 ? (t += groupMs) : t),
    sleep: async (ms) => {
      sleeps.push(ms);
      t += ms;
    },
  };
  return { pacer, sleeps };
}

test('groups of `inFlight`, a pause after each in proportion to its time, no group started past the deadline', async () => {
  const { pacer, sleeps } = fakePacer(10);
  const inFlightNow: number[] = [];
  let running = 0;
  const r = await pacedEach(Array.from({ length: 20 }, (_, i) => i), async () => {
    inFlightNow.push(++running);
    await new Promise((resolve) => setImmediate(resolve));
    running--;
  }, { inFlight: 3, duty: 0.25, deadline: 150, pacer });
  assert.ok(Math.max(...inFlightNow) <= 3);
  // Rounds of 10 ms work + 30 ms pause: groups end at 10, 50, 90, 130; the fourth's pause would end past 150.
  assert.deepEqual(sleeps, [30, 30, 30]);
  assert.deepEqual(r, { done: 12, failed: 0, left: 8, pausedMs: 90 });
});

test('the first group runs whatever the deadline; failures are counted, not thrown; no pause after the last group', async () => {
  const { pacer, sleeps } = fakePacer(10);
  const late = await pacedEach([1, 2, 3], async () => undefined, { inFlight: 2, duty: 0.5, deadline: -1, pacer });
  assert.deepEqual(late, { done: 2, failed: 0, left: 1, pausedMs: 0 });
  const all = await pacedEach([1, 2, 3, 4], async (n) => {
    if (n % 2 === 0) throw new Error('no');
  }, { inFlight: 2, duty: 0.5, deadline: 1e9, pacer });
  assert.deepEqual(all, { done: 2, failed: 2, left: 0, pausedMs: 10 });
  assert.deepEqual(sleeps, [10]);
});

test('past the deadline, groups go on (paced) until `atLeast` items were started', async () => {
  const { pacer, sleeps } = fakePacer(10);
  const r = await pacedEach(Array.from({ length: 10 }, (_, i) => i), async () => undefined, { inFlight: 2, duty: 0.5, deadline: -1, pacer, atLeast: 5 });
  // Three groups (2 + 2 + 2 items, the third reaching 5), each but the last followed by its pause.
  assert.deepEqual(r, { done: 6, failed: 0, left: 4, pausedMs: 20 });
  assert.deepEqual(sleeps, [10, 10]);
});
