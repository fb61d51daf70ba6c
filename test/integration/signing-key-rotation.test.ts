import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeProtectedHeader } from 'jose';
import { manualClock } from '../../shared/clock';
import { deriveKey } from '../../shared/crypto';
import { AppError } from '../../shared/errors';
import { agentTokens } from '../../services/credentials/agent-tokens';
import { NEXT_KEY_LEAD_MS, signingKeys, type SigningKeys } from '../../services/credentials/signing-keys';
import { signingKeyStore, type SigningKeyStore } from '../../services/credentials/signing-keys-store';
import { startTestDynamo, type TestDynamo } from '../helpers/dynamo';

/**
 * Signing-key rotation, one step at a time, with two service instances (two processes) over
 * one store. Their clocks disagree by 5 s, as two machines' may. After every step, and after
 * a process dies between steps, every unexpired token signed by either verifies on both.
 */
const TTL_S = 600;
const SKEW = 5_000;
const ISSUER = 'https://hm.test';
const kek = deriveKey('test-pepper-'.padEnd(40, 'x'), 'signing-keys');
const claims = { agentKeyId: 'akn_rot', tenantId: 'tnt_rot', clusterId: 'vci_rot', access: 'read-write' as const };

function setup(d: TestDynamo) {
  const clockA = manualClock(1_800_000_000_000);
  const clockB = manualClock(1_800_000_000_000 + SKEW);
  const store = signingKeyStore(d.db, d.tables.control);
  const instance = (clock = clockA, s: SigningKeyStore = store) => signingKeys({ store: s, clock, kek, maxTokenLifetimeMs: TTL_S * 1000 });
  const A = instance(clockA);
  const B = instance(clockB);
  const clockOf = new Map<SigningKeys, typeof clockA>([
    [A, clockA],
    [B, clockB],
  ]);
  // Fresh token services each time, so that verification asks the keys (no verified-token cache).
  const tokensOn = (keys: SigningKeys) => agentTokens({ keys, clock: clockOf.get(keys)!, issuer: ISSUER, ttlSeconds: TTL_S });
  const issued: { token: string; expiresAtMs: number; label: string }[] = [];
  const kid = (token: string) => decodeProtectedHeader(token).kid!;

  return {
    store,
    A,
    B,
    /** An instance whose store write `method` fails: the process dies right before that write. */
    dyingBefore: (method: keyof SigningKeyStore) =>
      instance(clockA, { ...store, [method]: async () => Promise.reject(new Error(`process died before ${method}`)) }),
    advance(ms: number) {
      clockA.advance(ms);
      clockB.advance(ms);
    },
    now: () => clockA.now(),
    kid,
    /** Both instances sign a token; then every unexpired token so far must verify on both. */
    async check(step: string): Promise<{ kidA: string; kidB: string }> {
      const a = await tokensOn(A).issue(claims);
      const b = await tokensOn(B).issue(claims);
      issued.push({ ...a, label: `${step} (A)` }, { ...b, label: `${step} (B)` });
      for (const t of issued.filter((x) => x.expiresAtMs > clockB.now())) {
        for (const [name, keys] of [['A', A], ['B', B]] as const) {
          await tokensOn(keys)
            .verify(t.token)
            .catch((e: AppError) => assert.fail(`after "${step}": token from "${t.label}" (kid ${kid(t.token)}) refused on ${name}: ${e.code}`));
        }
      }
      return { kidA: kid(a.token), kidB: kid(b.token) };
    },
    jwksKids: async (keys: SigningKeys) => (await keys.jwks()).keys.map((k) => k.kid).sort(),
  };
}

test('rotation is safe at every step and after a crash between any two; a later rotation completes an interrupted one', async (t) => {
  const d = await startTestDynamo();
  t.after(() => d.close());
  const s = setup(d);
  const { A, B } = s;

  // The first key: both processes start at once, one key wins and both sign with it.
  const [first, second] = await Promise.all([A.current(), B.current()]);
  assert.equal(first.kid, second.kid);
  const k1 = first.kid;
  assert.deepEqual(await s.check('first key'), { kidA: k1, kidB: k1 });
  assert.equal((await s.store.all()).length, 1, 'the losing first key was removed');

  // A process dies after writing a new key, before naming it next: the key is never used.
  await assert.rejects(s.dyingBefore('stageNext').rotate(), /process died before stageNext/);
  const orphan = (await s.store.all()).map((r) => r.kid).find((k) => k !== k1)!;
  s.advance(11_000);
  assert.deepEqual(await s.check('orphan left behind'), { kidA: k1, kidB: k1 });
  assert.deepEqual(await s.jwksKids(B), [k1], 'an orphan is not published');

  // Step 1: A publishes the next key. Nobody signs with it yet; everyone verifies it.
  const published = await A.rotate();
  assert.equal(published.status, 'pending');
  assert.equal(published.previousKid, k1);
  const k2 = published.kid;
  assert.notEqual(k2, orphan);
  assert.equal(Date.parse(published.activatesAt), s.now() + NEXT_KEY_LEAD_MS);
  s.advance(3_000);
  assert.deepEqual(await s.check('next published'), { kidA: k1, kidB: k1 });
  s.advance(11_000);
  assert.deepEqual(await s.jwksKids(A), [k1, k2].sort());
  assert.deepEqual(await s.jwksKids(B), [k1, k2].sort(), 'every view has the next key once it reloads');
  assert.deepEqual(await B.rotate(), published, 'a rotation before the lead time reports the pending key, and publishes no other');

  // A dies before activating. B's clock (5 s ahead) reaches the activation time first: its
  // next token completes the rotation, while A still holds a view from before it.
  s.advance(NEXT_KEY_LEAD_MS - 14_000 - SKEW - 7_000);
  assert.equal((await A.current()).kid, k1, 'A reloads: still before the activation time');
  s.advance(7_000 + 1);
  assert.deepEqual(await s.check('activated by B, A not reloaded yet'), { kidA: k1, kidB: k2 });
  const k1LastExpiry = (Math.floor(s.now() / 1000) + TTL_S) * 1000;
  s.advance(4_000);
  assert.deepEqual(await s.check('both reloaded'), { kidA: k2, kidB: k2 });

  // The next rotation, completed by the scheduled check rather than by the one that started it.
  const next = await A.rotate();
  assert.deepEqual({ previousKid: next.previousKid, status: next.status }, { previousKid: k2, status: 'pending' });
  const k3 = next.kid;
  s.advance(NEXT_KEY_LEAD_MS + 1);
  assert.equal(await B.rotateIfDue(86_400_000), 'activated');
  assert.deepEqual(await s.check('third key active'), { kidA: k3, kidB: k3 });

  // The first key verifies until the last token it signed has expired...
  s.advance(k1LastExpiry - SKEW - 1_000 - s.now());
  assert.deepEqual(await s.check('the first key\'s last token about to expire'), { kidA: k3, kidB: k3 });
  assert.ok((await s.jwksKids(B)).includes(k1));
  assert.equal(await B.rotateIfDue(86_400_000), 'not-due');
  assert.ok(!(await s.store.all()).some((r) => r.kid === orphan), 'the orphan was removed');
  // ...and not much longer: once no token it signed can be valid, it leaves the JWKS and the store.
  s.advance(120_000);
  assert.equal(await A.rotateIfDue(86_400_000), 'not-due');
  assert.deepEqual(await s.jwksKids(A), [k2, k3].sort());
  assert.deepEqual((await s.store.all()).map((r) => r.kid).sort(), [k2, k3].sort(), 'retired keys are removed once they no longer verify');
  assert.equal(await A.publicKey(k1), undefined);
});

test('two processes rotating at the same moment publish one key, and activate it once', async (t) => {
  const d = await startTestDynamo();
  t.after(() => d.close());
  const s = setup(d);
  const k1 = (await s.A.current()).kid;
  const [a, b] = await Promise.all([s.A.rotate(), s.B.rotate()]);
  assert.equal(a.kid, b.kid, 'one next key');
  assert.equal(a.status, 'pending');
  assert.equal((await s.store.all()).length, 2, 'the losing key was removed');
  s.advance(NEXT_KEY_LEAD_MS + 1);
  const [x, y] = await Promise.all([s.A.rotate(), s.B.rotate()]);
  const p = await s.store.pointer();
  assert.equal(p?.kid, a.kid);
  assert.deepEqual(p?.retired.map((r) => r.kid), [k1], 'activated and retired once');
  // Each call is one step: the slower one either saw the same activation or took the next step.
  for (const r of [x, y]) {
    const sameStep = r.status === 'active' && r.kid === a.kid && r.previousKid === k1;
    const nextStep = r.status === 'pending' && r.previousKid === a.kid && r.kid === p?.next?.kid;
    assert.ok(sameStep || nextStep, JSON.stringify(r));
  }
  assert.ok(x.status === 'active' || y.status === 'active');
  await s.check('after concurrent activation');
});
