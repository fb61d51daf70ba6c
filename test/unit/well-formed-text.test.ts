import { test } from 'node:test';
import assert from 'node:assert/strict';
import { illFormedText } from '../../api/plugins/validation';

test('illFormedText finds a lone surrogate in any string or key, at any depth, and passes pairs', () => {
  assert.equal(illFormedText({ a: ['ok', { b: 'x\ud800' }] }, 'body'), 'body.a[1].b');
  assert.equal(illFormedText({ a: '\udc00' }, 'query'), 'query.a');
  assert.equal(illFormedText({ ['k\udbff']: 1 }, 'body'), 'body (a field name)');
  assert.equal(illFormedText('\ude00\ud83d', 'body'), 'body', 'a reversed pair is two lone surrogates');
  assert.equal(illFormedText({ a: 'rocket \ud83d\ude80', n: 1, z: null, t: true }, 'body'), undefined);
  assert.equal(illFormedText(undefined, 'path'), undefined);
  // Deep nesting does not overflow the stack.
  let deep: unknown = 'end\ud800';
  for (let i = 0; i < 200_000; i++) deep = [deep];
  assert.match(illFormedText(deep, 'body')!, /^body(\[0\])+$/);
});
