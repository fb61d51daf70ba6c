import { test } from 'node:test';
import assert from 'node:assert/strict';
import { apiKeyFormat } from '../../services/credentials/secret-format';
import { cursorCodec } from '../../shared/cursor';
import { newId, isId } from '../../shared/ids';
import { AppError } from '../../shared/errors';
import { createHash } from 'node:crypto';
import { sha256Hex } from '../../shared/crypto';

test('API key secrets: parse what mint makes; reject typos by checksum and other shapes as malformed', () => {
  const id = newId('apiKey');
  const { secret, material } = apiKeyFormat.mint(id);
  assert.deepEqual(apiKeyFormat.parse(secret), { id, material });
  const flipped = secret.slice(0, -1) + (secret.endsWith('a') ? 'b' : 'a');
  assert.equal(apiKeyFormat.parse(flipped), 'checksum');
  const typo = secret.slice(0, 40) + (secret[40] === 'Q' ? 'R' : 'Q') + secret.slice(41);
  assert.equal(apiKeyFormat.parse(typo), 'checksum');
  for (const bad of ['', 'hm_sk_', secret + 'x', secret.replace('hm_sk_', 'hm_ak_'), secret.toUpperCase()]) {
    assert.notEqual(typeof apiKeyFormat.parse(bad), 'object', bad);
  }
  assert.ok(!apiKeyFormat.hint(id).includes(secret.slice(-10)), 'the hint does not reveal the secret');
});

test('ids: prefixed, well-formed, time-ordered', () => {
  const a = newId('cluster', 1_000_000);
  const b = newId('cluster', 2_000_000);
  assert.ok(isId('cluster', a) && isId('cluster', b));
  assert.ok(a < b);
  assert.ok(!isId('tenant', a));
});

test('cursors: round-trip within their scope only; tampering is refused', () => {
  const codec = cursorCodec('secret-one'.padEnd(32, '!'));
  const key = { pk: 'T#tnt_a', sk: 'CLUSTER#vci_b' };
  const c = codec.encode('T#tnt_a:clusters', key)!;
  assert.deepEqual(codec.decode('T#tnt_a:clusters', c), key);
  const refused = (scope: string, cursor: string) => assert.throws(() => codec.decode(scope, cursor), (e: unknown) => e instanceof AppError && e.code === 'invalid_cursor');
  refused('T#tnt_b:clusters', c);
  refused('T#tnt_a:api-keys', c);
  refused('T#tnt_a:clusters', c.replace(/^./, (ch) => (ch === 'e' ? 'f' : 'e')));
  refused('T#tnt_a:clusters', c + 'x');
  refused('T#tnt_a:clusters', 'no-dot');
  const other = cursorCodec('secret-two'.padEnd(32, '!'));
  refused('T#tnt_a:clusters', other.encode('T#tnt_a:clusters', key)!);
  assert.equal(codec.encode('x', undefined), undefined);
});

test('sha256Hex: the SHA-256 digest in hex (the verified-token cache key), short and long inputs', () => {
  assert.equal(sha256Hex('abc'), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  assert.equal(sha256Hex(''), 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  const long = 'é'.repeat(700);
  assert.equal(sha256Hex(long), createHash('sha256').update(long, 'utf8').digest('hex'));
});
