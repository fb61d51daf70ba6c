import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeProtectedHeader } from 'jose';
import { isoTime, manualClock } from '../../shared/clock';
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

/** Lets the first `n - 1` callers wait until the `n`th arrives; later callers pass at once. */
function barrier(n: number): () => Promise<void> {
  let arrived = 0;
  let open!: () => void;
  const all = new Promise<void>((resolve) => (open = resolve));
  return () => {
    if (++arrived >= n) open();
    return all;
  };
}

/**
 * A process's view of the store with the pointer read and the publish write held on hooks the
 * test sets, so that the interleaving of two processes is chosen, not left to timing.
 */
function held(store: SigningKeyStore) {
  const hooks: { beforePointer?: () => Promise<void>; beforeStage?: () => Promise<void>; afterStage?: (won: boolean) => void } = {};
  const s: SigningKeyStore = {
    ...store,
    pointer: async () => {
      await hooks.beforePointer?.();
      return store.pointer();
    },
    stageNext: async (...args) => {
      await hooks.beforeStage?.();
      const won = await store.stageNext(...args);
      hooks.afterStage?.(won);
      return won;
    },
  };
  return { store: s, hooks };
}

// Either process may win the publish; B's clock is 5 s ahead of A's, so the two cases differ:
// the activation time is the publisher's clock plus the lead, and each process judges it on
// its own clock. (Left to timing, B won about one run in twenty, and this test then failed
// on A's answer when the clocks were advanced by the lead alone.)
for (const publisher of ['A', 'B'] as const) {
  test(`two processes rotating at the same moment publish one key (${publisher}'s), and activate it once`, async (t) => {
    const d = await startTestDynamo();
    t.after(() => d.close());
    const s = setup(d);
    const k1 = (await s.A.current()).kid;
    const clockA = manualClock(s.now());
    const clockB = manualClock(s.now() + SKEW);
    const viewA = held(s.store);
    const viewB = held(s.store);
    const A = signingKeys({ store: viewA.store, clock: clockA, kek, maxTokenLifetimeMs: TTL_S * 1000 });
    const B = signingKeys({ store: viewB.store, clock: clockB, kek, maxTokenLifetimeMs: TTL_S * 1000 });
    const [winner, loser] = publisher === 'A' ? [viewA, viewB] : [viewB, viewA];

    // Both read the pointer before either writes; the loser's publish waits for the winner's.
    const bothRead = barrier(2);
    viewA.hooks.beforePointer = viewB.hooks.beforePointer = bothRead;
    let published!: () => void;
    const winnerPublished = new Promise<void>((resolve) => (published = resolve));
    winner.hooks.afterStage = (won) => {
      assert.ok(won, 'the first publish wins');
      published();
    };
    loser.hooks.beforeStage = () => winnerPublished;
    loser.hooks.afterStage = (won) => assert.ok(!won, 'the second publish loses');
    const [a, b] = await Promise.all([A.rotate(), B.rotate()]);
    assert.equal(a.kid, b.kid, 'one next key');
    assert.equal(a.status, 'pending');
    assert.equal(a.activatesAt, isoTime(s.now() + (publisher === 'B' ? SKEW : 0) + NEXT_KEY_LEAD_MS), "the publisher's clock plus the lead");
    assert.equal((await s.store.all()).length, 2, 'the losing key was removed');

    clockA.advance(NEXT_KEY_LEAD_MS + 1);
    clockB.advance(NEXT_KEY_LEAD_MS + 1);
    if (publisher === 'B') {
      // The lead has passed on B's clock, not yet on A's (5 s behind): A reports the key pending.
      assert.deepEqual(await A.rotate(), a);
      clockA.advance(SKEW);
      clockB.advance(SKEW);
    }

    // Due on both clocks; both read the pointer before either activates: one write wins.
    const bothReadAgain = barrier(2);
    viewA.hooks.beforePointer = viewB.hooks.beforePointer = bothReadAgain;
    const [x, y] = await Promise.all([A.rotate(), B.rotate()]);
    const p = await s.store.pointer();
    assert.equal(p?.kid, a.kid);
    assert.equal(p?.next, undefined, 'nothing published after the activation');
    assert.deepEqual(p?.retired.map((r) => r.kid), [k1], 'activated and retired once');
    assert.equal(p?.version, 3, 'the first key, one publish, one activation: three writes of the pointer');
    for (const r of [x, y]) assert.deepEqual({ kid: r.kid, previousKid: r.previousKid, status: r.status }, { kid: a.kid, previousKid: k1, status: 'active' });
    assert.equal(x.activatesAt, y.activatesAt, 'both report the one activation');

    // Tokens of both processes verify on both.
    const tokens = (keys: SigningKeys, clock: typeof clockA) => agentTokens({ keys, clock, issuer: ISSUER, ttlSeconds: TTL_S });
    const signed = [await tokens(A, clockA).issue(claims), await tokens(B, clockB).issue(claims)];
    for (const tok of signed) {
      assert.equal(s.kid(tok.token), a.kid);
      for (const [keys, clock] of [[A, clockA], [B, clockB]] as const) await tokens(keys, clock).verify(tok.token);
    }
  });
}

test('a load begun before this process wrote the first key does not answer for it: the first token is issued', async (t) => {
  const d = await startTestDynamo();
  t.after(() => d.close());
  const real = signingKeyStore(d.db, d.tables.control);
  // The second pointer read (a key-miss refresh started while the first key is being written)
  // reads the store before that write lands and answers only after it.
  let reads = 0;
  let release!: () => void;
  const held = new Promise<void>((r) => (release = r));
  let other: Promise<unknown> | undefined;
  const keys: SigningKeys = signingKeys({
    clock: manualClock(1_800_000_000_000),
    kek,
    maxTokenLifetimeMs: TTL_S * 1000,
    store: {
      ...real,
      async pointer() {
        const p = await real.pointer();
        if (++reads === 2) await held;
        return p;
      },
      async createFirst(kid, now) {
        other = keys.publicKey('sk-unknown');
        await new Promise((r) => setImmediate(r));
        const won = await real.createFirst(kid, now);
        // Let the stale load finish only once the writer has asked for the state after its write.
        setImmediate(release);
        return won;
      },
    },
  });
  const first = await keys.current();
  await other;
  assert.equal(reads >= 3, true, 'the writer read the state again after its write');
  assert.equal((await real.pointer())?.kid, first.kid);
});
