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
