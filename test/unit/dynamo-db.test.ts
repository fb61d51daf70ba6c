import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestDynamo } from '../helpers/dynamo';

test('Db: conditional put, set add/delete with size() condition, query paging', async (t) => {
  const d = await startTestDynamo();
  t.after(() => d.close());
  const T = d.tables.control;
  assert.equal(await d.db.put(T, { pk: 'a', sk: '1' }, { expr: 'attribute_not_exists(pk)' }), true);
  assert.equal(await d.db.put(T, { pk: 'a', sk: '1' }, { expr: 'attribute_not_exists(pk)' }), false);
  const add = (id: string) =>
    d.db.update({
      table: T,
      key: { pk: 'a', sk: '1' },
      update: 'ADD ids :s',
      condition: 'attribute_not_exists(ids) OR size(ids) < :max',
      values: { ':s': new Set([id]), ':max': 2 },
    });
  assert.ok(await add('x'));
  assert.ok(await add('x'), 'adding the same member again is idempotent');
  assert.ok(await add('y'));
  assert.equal(await add('z'), undefined, 'the size condition refuses a third member');
  const after = await d.db.update<{ ids?: Set<string> }>({ table: T, key: { pk: 'a', sk: '1' }, update: 'DELETE ids :s', values: { ':s': new Set(['x']) } });
  assert.deepEqual([...after!.ids!], ['y']);
  for (let i = 0; i < 5; i++) await d.db.put(T, { pk: 'p', sk: `s${i}` });
  const first = await d.db.query({ table: T, keyCondition: 'pk = :p', values: { ':p': 'p' }, limit: 2 });
  assert.equal(first.items.length, 2);
  assert.ok(first.lastKey);
  const all = [];
  for await (const it of d.db.queryAll({ table: T, keyCondition: 'pk = :p', values: { ':p': 'p' } })) all.push(it);
  assert.equal(all.length, 5);
});
