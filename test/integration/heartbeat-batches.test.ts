import { test } from 'node:test';
import assert from 'node:assert/strict';
import { liveStore } from '../../services/agents/live-store';
import { createRedis, redisGuard } from '../../shared/redis';
import { randomBase62 } from '../../shared/crypto';
import { startTestRedis } from '../helpers/redis';
import type { RegisterInput } from '../../services/agents/model';

const info = (agentId: string): RegisterInput => ({ agentId, version: '1.2.3', region: 'us-east-1', zone: 'us-east-1a', advertisedAddress: '10.0.0.1:9092', roles: ['proxy'] });
const budget = { emissionMs: 1000, burst: 2 };
const NOW = 1_800_000_000_000;

/**
 * Beats of one cluster that arrive together go to Redis as one script call; each must still get
 * exactly the answer it would have had alone, in arrival order: ok, unknown, bound elsewhere,
 * too soon (its own beat budget), and a revived dead agent queued for its membership write.
 */
test('beats batched into one call are each answered as if alone, in arrival order', async () => {
  const r = await startTestRedis();
  const redis = createRedis(r.url, 'command', { cluster: r.cluster });
  try {
    // A long linger: every beat below is in one batch, whatever the machine's speed.
    const live = liveStore(redis, `hbt-${randomBase62(6)}`, redisGuard(), { beatLingerMs: 50 });
    const cred = { id: 'ak_1', mayRebind: true };
    for (const id of ['a', 'b', 'c', 'd']) assert.equal((await live.register('ten_1', 'cl_1', info(id), NOW, 3600, 100, 0, cred)).result, 'ok');
    await live.register('ten_1', 'cl_other', info('x'), NOW, 3600, 100, 0, cred);
    await live.deregister('cl_1', 'd', 3600);
    assert.equal(await live.markDead('cl_1', 'c', NOW + 1, 0), true);

    const beat = (cluster: string, id: string, at: number, credential = 'ak_1') => live.heartbeat(cluster, id, { cpuPercent: at - NOW }, at, 3600, budget, credential);
    const answers = await Promise.all([
      beat('cl_1', 'a', NOW + 10),
      beat('cl_1', 'a', NOW + 11),
      // The third beat in a row exceeds a's budget (2 at once): refused, with its wait.
      beat('cl_1', 'a', NOW + 12),
      beat('cl_1', 'b', NOW + 13, 'ak_2'),
      beat('cl_1', 'c', NOW + 14),
      beat('cl_1', 'd', NOW + 15),
      beat('cl_1', 'nobody', NOW + 16),
      beat('cl_other', 'x', NOW + 17),
    ]);
    assert.deepEqual(answers.slice(0, 2), [
      { result: 'ok', previousState: 'live', version: '1.2.3' },
      { result: 'ok', previousState: 'live', version: '1.2.3' },
    ]);
    assert.equal(answers[2].result, 'too-soon');
    assert.ok('retryAfterMs' in answers[2] && answers[2].retryAfterMs > 0 && answers[2].retryAfterMs <= 1000);
    assert.deepEqual(answers[3], { result: 'bound' });
    assert.deepEqual(answers[4], { result: 'ok', previousState: 'dead', version: '1.2.3' });
    assert.deepEqual(answers[5], { result: 'unknown' });
    assert.deepEqual(answers[6], { result: 'unknown' });
    assert.deepEqual(answers[7], { result: 'ok', previousState: 'live', version: '1.2.3' });

    // What Redis holds afterwards: each accepted beat's own time and stats, nothing for the refused.
    const rec = await live.records('cl_1', ['a', 'b', 'c']);
    assert.equal(rec.get('a')!.lastSeen, NOW + 11);
    assert.deepEqual(rec.get('a')!.stats, { cpuPercent: 11 });
    assert.equal(rec.get('b')!.lastSeen, NOW, 'a refused beat changes nothing');
    assert.equal(rec.get('c')!.state, 'live');
    const view = (await live.sweepView(0, 0)).find((c) => c.clusterId === 'cl_1')!;
    assert.deepEqual(view.pending.map((p) => p.agentId).sort(), ['c'], 'the revived agent awaits its membership write');
    assert.deepEqual((await live.live('cl_1', NOW + 11)).map((a) => a.agentId).sort(), ['a', 'c']);
  } finally {
    redis.disconnect();
    await r.close();
  }
});
