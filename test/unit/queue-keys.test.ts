import { test } from 'node:test';
import assert from 'node:assert/strict';
import { queueKeys } from '../../workers/queue-keys';

test('queue keys: the configured prefix on a single node; a hash tag per queue on a cluster', () => {
  const single = queueKeys('hm');
  assert.equal(single.prefix('lifecycle'), 'hm', 'single-node keys are as they always were');
  assert.equal(single.metaPattern('agent-jobs-*'), 'hm:agent-jobs-*:meta');
  assert.equal(single.nameOfMeta('hm:lifecycle:meta'), 'lifecycle');
  assert.equal(single.nameOfMeta('hm:lifecycle:123:meta'), undefined, 'not a queue');

  const tagged = queueKeys('hm', true);
  assert.equal(tagged.prefix('lifecycle'), 'hm:{lifecycle}');
  assert.equal(tagged.metaPattern('agent-jobs-*'), 'hm:{agent-jobs-*}:agent-jobs-*:meta');
  assert.equal(tagged.nameOfMeta('hm:{agent-jobs-c1}:agent-jobs-c1:meta'), 'agent-jobs-c1');
  assert.equal(tagged.nameOfMeta('hm:{lifecycle}:maintenance:meta'), undefined, 'a name must match its tag');
  assert.equal(tagged.nameOfMeta('hm:lifecycle:meta'), undefined, 'an untagged key is not ours in cluster mode');
  assert.equal(tagged.nameOfMeta('other:{lifecycle}:lifecycle:meta'), undefined, 'another prefix');
});
