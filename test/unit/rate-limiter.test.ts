import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRedis, redisGuard } from '../../shared/redis';
import { perMinute, rateLimiter } from '../../shared/rate-limiter';
import { freePort } from '../../infra/local/free-port';
import { clientAddress } from '../../api/plugins/rate-limit';

test('without Redis the limiter counts in this process: still limiting, said in the degraded count, and promptly', async () => {
  // A port nobody listens on: every command fails (after its deadline at most).
  const redis = createRedis(`redis://127.0.0.1:${await freePort()}`, 'command', { commandTimeoutMs: 100 });
  let now = 1_000_000;
  const transitions: boolean[] = [];
  const guard = redisGuard({ retryAfterMs: 60_000, onChange: (up) => transitions.push(up) });
  const degraded: string[] = [];
  const limiter = rateLimiter({ redis, guard, prefix: 'unit', now: () => now, onDegraded: (b) => degraded.push(b) });
  try {
    const budget = perMinute('unit', 3);
    const t0 = performance.now();
    const waits = [];
    for (let i = 0; i < 4; i++) waits.push(await limiter.take(budget, 'k'));
    assert.ok(performance.now() - t0 < 5000, 'no call waits for the dead Redis beyond its deadline');
    assert.deepEqual(waits.slice(0, 3), [0, 0, 0]);
    assert.equal(waits[3], 20_000, 'the fourth waits one emission interval');
    assert.equal(await limiter.take(budget, 'other'), 0, 'keys are counted apart');
    assert.deepEqual(degraded, ['unit', 'unit', 'unit', 'unit', 'unit']);
    assert.deepEqual(transitions, [false]);
    assert.equal(guard.healthy, false);
    now += 20_000;
    assert.equal(await limiter.take(budget, 'k'), 0, 'refilled');
  } finally {
    redis.disconnect();
  }
});

test('client addresses: IPv4 as is (also IPv4-mapped), IPv6 by its /64', () => {
  assert.equal(clientAddress('203.0.113.7'), '203.0.113.7');
  assert.equal(clientAddress('::ffff:203.0.113.7'), '203.0.113.7');
  assert.equal(clientAddress('2001:db8:1:2:3:4:5:6'), '2001:db8:1:2::/64');
  assert.equal(clientAddress('2001:db8:1:2::9'), '2001:db8:1:2::/64');
  assert.equal(clientAddress('2001:0db8:0001:0002:ffff::'), '2001:db8:1:2::/64');
  assert.equal(clientAddress('2001:db8::1'), '2001:db8:0:0::/64');
  assert.equal(clientAddress('fe80::1%eth0'), 'fe80:0:0:0::/64');
  assert.equal(clientAddress('::1'), '0:0:0:0::/64');
});

test('a request may cost several units: the same budget in Redis and in this process', async () => {
  const { startTestRedis } = await import('../helpers/redis');
  const server = await startTestRedis();
  const redis = createRedis(server.url, 'command');
  const dead = createRedis(`redis://127.0.0.1:${await freePort()}`, 'command', { commandTimeoutMs: 100 });
  let now = 5_000_000;
  try {
    const prefix = `unit-cost-${process.pid}-${Date.now()}`;
    for (const [name, r] of [['redis', redis], ['local', dead]] as const) {
      const limiter = rateLimiter({ redis: r, guard: redisGuard({ retryAfterMs: 60_000 }), prefix, now: () => now });
      const budget = perMinute(`cost-${name}`, 10); // 10 a minute: one unit every 6 s
      assert.equal(await limiter.take(budget, 'k', 4), 0, `${name}: 4 of 10`);
      assert.equal(await limiter.take(budget, 'k', 6), 0, `${name}: 10 of 10`);
      assert.equal(await limiter.take(budget, 'k', 1), 6_000, `${name}: empty, one unit back in 6 s`);
      now += 6_000;
      assert.equal(await limiter.take(budget, 'k', 2), 6_000, `${name}: one unit back, two asked: wait for the second`);
      assert.equal(await limiter.take(budget, 'k', 1), 0, `${name}: the one unit there`);
      now += 30_000;
      assert.equal(await limiter.take(budget, 'k', 5), 0, `${name}: five back after 30 s`);
      assert.ok((await limiter.take(budget, 'k', 1)) > 0, `${name}: and no more`);
      assert.equal(await limiter.take(budget, 'other', 10), 0, `${name}: keys apart; a cost of the whole burst fits an empty key`);
    }
  } finally {
    redis.disconnect();
    dead.disconnect();
    await server.close();
  }
});

test('takes of one key made together go to Redis as one take of their sum, and allow exactly what one by one would', async () => {
  const { startTestRedis } = await import('../helpers/redis');
  const server = await startTestRedis();
  const redis = createRedis(server.url, 'command');
  const probe = createRedis(server.url, 'command');
  const evalCalls = async () => Number(/cmdstat_evalsha:calls=(\d+)/.exec(await probe.info('commandstats'))?.[1] ?? 0);
  const now = 9_000_000;
  try {
    const limiter = rateLimiter({ redis, guard: redisGuard({ retryAfterMs: 60_000 }), prefix: `unit-together-${process.pid}-${Date.now()}`, now: () => now });
    const budget = perMinute('together', 50); // one unit every 1.2 s
    // Under the budget: 40 takes at once are all allowed, in far fewer round trips.
    let before = await evalCalls();
    const first = await Promise.all(Array.from({ length: 40 }, () => limiter.take(budget, 'k')));
    assert.deepEqual(first, Array(40).fill(0));
    const calls = (await evalCalls()) - before;
    assert.ok(calls <= 3, `40 takes made together cost ${calls} round trips`);
    // Over it: 10 left, 16 asked at once (costs 1 and 2): the same answers as one after another.
    before = await evalCalls();
    const costs = [1, 2, 1, 2, 1, 2, 1, 2, 1, 2, 1];
    const waits = await Promise.all(costs.map((c) => limiter.take(budget, 'k', c)));
    // One by one: 1,2,1,2,1,2,1 fit (10 units); then 2 waits two emissions, 1 waits one, 2 two, 1 one.
    assert.deepEqual(waits.slice(0, 7), Array(7).fill(0), 'the first 10 units allowed, in order');
    assert.deepEqual(waits.slice(7), [2_400, 1_200, 2_400, 1_200], 'the rest refused with the waits one by one gives');
    assert.ok((await evalCalls()) - before >= costs.length, 'a refused sum is taken again one by one');
    // Another key is counted apart, also when asked at the same moment.
    const [a, b] = await Promise.all([limiter.take(budget, 'k'), limiter.take(budget, 'other')]);
    assert.ok(a > 0);
    assert.equal(b, 0);
  } finally {
    redis.disconnect();
    probe.disconnect();
    await server.close();
  }
});
