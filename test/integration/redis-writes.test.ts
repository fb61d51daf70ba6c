import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import { createRedis } from '../../shared/redis';
import { randomBase62 } from '../../shared/crypto';
import { eventually } from '../helpers/harness';
import { startTestRedis, type TestRedis } from '../helpers/redis';

let server: TestRedis;
let redis: Redis;
const key = `hmt${randomBase62(8)}:coalesce`;

before(async () => {
  server = await startTestRedis();
  redis = createRedis(server.url, 'command');
  await redis.ping();
});
after(async () => {
  await redis.del(key);
  redis.disconnect();
  await server.close();
});

test('commands of one event-loop turn leave in one write, in order', async () => {
  await redis.set(key, '0');
  const incrs = Array.from({ length: 200 }, () => redis.incr(key));
  assert.equal(redis.stream.writableCorked, 1, 'held until the turn ends');
  const last = redis.get(key);
  await nextTurn();
  assert.equal(redis.stream.writableCorked, 0, 'released after this turn');
  assert.deepEqual(await Promise.all(incrs), Array.from({ length: 200 }, (_, i) => i + 1));
  assert.equal(await last, '200');
});

test('a new connection after a drop is not left corked', async () => {
  const before = redis.stream;
  const id = await redis.client('ID');
  const killer = createRedis(server.url, 'command');
  await killer.client('KILL', 'ID', String(id));
  killer.disconnect();
  await eventually(async () => redis.status === 'ready' && redis.stream !== before, 30_000);
  assert.equal(await redis.incr(key), 201);
  assert.equal(redis.stream.writableCorked, 0);
});
