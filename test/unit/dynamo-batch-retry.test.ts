import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { BatchWriteItemCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { manualClock } from '../../shared/clock';
import { Db, DEFAULT_BATCH_RETRY, type Key } from '../../shared/dynamo';
import { AppError } from '../../shared/errors';

/**
 * Db.deleteMany against a store that keeps throttling. The stand-in sits at the SDK's `send`
 * boundary (what cannot be provoked in dynalite: it never leaves items unprocessed) and
 * answers BatchWriteItem the way DynamoDB does under throttling.
 */
function throttlingClient(processPerCall: (pending: number) => number) {
  const calls: number[] = [];
  const client = {
    async send(cmd: BatchWriteItemCommand) {
      const [table, requests] = Object.entries(cmd.input.RequestItems!)[0];
      calls.push(requests.length);
      // A safety stop: an unbounded retry loop fails this test instead of hanging it.
      if (calls.length > 200) throw Object.assign(new Error('still retrying after 200 calls'), { name: 'RunawayRetry' });
      const done = processPerCall(requests.length);
      const rest = requests.slice(done);
      return { UnprocessedItems: rest.length ? { [table]: rest } : {} };
    },
  };
  return { client: client as unknown as DynamoDBClient, calls };
}

const keys = (n: number): Key[] => Array.from({ length: n }, (_, i) => ({ pk: 'p', sk: `s${i}` }));

function waits() {
  const clock = manualClock(1_000_000);
  const slept: number[] = [];
  return { clock, slept, sleep: async (ms: number) => void (slept.push(ms), clock.advance(ms)), random: () => 0.999 };
}

test('deleteMany gives up with a retryable 503 after a bounded number of attempts that process nothing', async () => {
  const { client, calls } = throttlingClient(() => 0);
  const w = waits();
  const db = new Db(client, { clock: w.clock, sleep: w.sleep, random: w.random });
  const err = await db.deleteMany('t', keys(30)).then(
    () => assert.fail('expected a failure'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof AppError, `expected a 503 AppError, got ${String(err)}`);
  assert.equal(err.status, 503);
  assert.equal(err.code, 'store_unavailable');
  assert.equal(err.extra?.retryable, true);
  assert.match(err.detail, /30 of 30 deletes unprocessed/);
  assert.equal(calls.length, DEFAULT_BATCH_RETRY.maxStalledAttempts, 'a bounded number of attempts');
  // Exponential backoff with full jitter under a cap: each wait is below base·2^n and the cap.
  w.slept.forEach((ms, n) => assert.ok(ms <= Math.min(DEFAULT_BATCH_RETRY.maxDelayMs, DEFAULT_BATCH_RETRY.baseDelayMs * 2 ** n), `wait ${n}: ${ms} ms`));
  assert.ok(w.slept[3] > w.slept[0] * 4, 'waits grow');
  const total = w.slept.reduce((a, b) => a + b, 0);
  assert.ok(total <= DEFAULT_BATCH_RETRY.maxTotalMs);
});

test('deleteMany keeps going while each retry makes progress, and stops at the total time budget', async () => {
  // One item per call: slow progress still finishes when the budget allows it.
  const slow = throttlingClient(() => 1);
  const w1 = waits();
  await new Db(slow.client, { clock: w1.clock, sleep: w1.sleep, random: () => 0.01 }).deleteMany('t', keys(20));
  assert.equal(slow.calls.length, 20, 'one call per item, none lost or repeated');
  assert.deepEqual(slow.calls, Array.from({ length: 20 }, (_, i) => 20 - i));

  // The same store with a tight budget: it gives up once waiting more would pass the budget.
  const tight = throttlingClient(() => 1);
  const w2 = waits();
  const budget = { ...DEFAULT_BATCH_RETRY, maxTotalMs: 2_000 };
  await assert.rejects(
    new Db(tight.client, { clock: w2.clock, sleep: w2.sleep, random: w2.random, batchRetry: budget }).deleteMany('t', keys(20)),
    (e: unknown) => e instanceof AppError && e.status === 503 && /still throttled after 2000 ms/.test(e.detail),
  );
  assert.ok(w2.slept.reduce((a, b) => a + b, 0) <= 2_000, 'never waits past the budget');
  assert.ok(tight.calls.length < 20);
});

test('deleteMany sends 25 keys per batch and finishes when the store takes them all', async () => {
  const { client, calls } = throttlingClient((n) => n);
  await new Db(client).deleteMany('t', keys(60));
  assert.deepEqual(calls, [25, 25, 10]);
});

test('putMany shares the bounded retry: throttled puts are retried until done, and a store that processes nothing gives up with a 503', async () => {
  const items = (n: number) => Array.from({ length: n }, (_, i) => ({ pk: 'p', sk: `s${i}`, v: i }));
  const slow = throttlingClient((pending) => Math.min(pending, 10));
  const w = waits();
  await new Db(slow.client, { clock: w.clock, sleep: w.sleep, random: w.random }).putMany('t', items(30));
  assert.deepEqual(slow.calls, [25, 15, 5, 5], 'each request re-sends only what was left unprocessed');
  const stuck = throttlingClient(() => 0);
  const err = await new Db(stuck.client, { ...waits() }).putMany('t', items(3)).then(
    () => assert.fail('expected a failure'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof AppError && err.status === 503 && /3 of 3 puts unprocessed/.test(err.detail), String(err));
});
