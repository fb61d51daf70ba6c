import { test } from 'node:test';
import assert from 'node:assert/strict';
import { manualClock } from '../../shared/clock';
import { deriveKey } from '../../shared/crypto';
import type { AppError } from '../../shared/errors';
import { agentTokens } from '../../services/credentials/agent-tokens';
import { signingKeys, type SigningKeys } from '../../services/credentials/signing-keys';
import { signingKeyStore } from '../../services/credentials/signing-keys-store';
import { startTestDynamo } from '../helpers/dynamo';

/**
 * The verified-token cache: a token verifies once against the signing keys, is answered from
 * memory after that, and is refused as expired once it is; a token that differs from a cached
 * one by a character is checked in full.
 */
const TTL_S = 600;
const kek = deriveKey('test-pepper-'.padEnd(40, 'x'), 'signing-keys');
const claims = { agentKeyId: 'akn_cache', tenantId: 'tnt_cache', clusterId: 'vci_cache', access: 'read-write' as const };

test('verified agent tokens are answered from memory until they expire, then refused as expired', async (t) => {
  const d = await startTestDynamo();
  t.after(() => d.close());
  const clock = manualClock(1_800_000_000_000);
  const keys = signingKeys({ store: signingKeyStore(d.db, d.tables.control), clock, kek, maxTokenLifetimeMs: TTL_S * 1000 });
  // The real keys, counting how often verification has to ask them.
  let keyLookups = 0;
  const counted: SigningKeys = { ...keys, publicKey: (kid: string) => (keyLookups++, keys.publicKey(kid)) };
  const tokens = agentTokens({ keys: counted, clock, issuer: 'https://hm.test', ttlSeconds: TTL_S });
  const [a, b, c] = [await tokens.issue(claims), await tokens.issue(claims), await tokens.issue({ ...claims, clusterId: 'vci_other' })];

  assert.equal((await tokens.verify(a.token)).clusterId, 'vci_cache');
  assert.equal(keyLookups, 1);
  for (let i = 0; i < 3; i++) assert.equal((await tokens.verify(a.token)).tenantId, 'tnt_cache');
  assert.equal((await tokens.verify(b.token)).clusterId, 'vci_cache');
  assert.equal((await tokens.verify(c.token)).clusterId, 'vci_other');
  assert.equal(keyLookups, 3, 'each token checked against the keys once');
  assert.equal(tokens.isVerified(a.token), true);

  // One character changed: not the cached token, so it is checked (and fails) in full.
  const forged = a.token.slice(0, -2) + (a.token.at(-2) === 'A' ? 'B' : 'A') + a.token.at(-1);
  await assert.rejects(tokens.verify(forged), (e: AppError) => e.status === 401);
  assert.equal(keyLookups, 4);

  clock.advance(TTL_S * 1000);
  for (const token of [a.token, b.token, c.token, c.token]) {
    await assert.rejects(tokens.verify(token), (e: AppError) => e.code === 'token_expired', 'an expired token is refused, cached or not');
  }
  assert.equal(tokens.isVerified(b.token), false);
});
