import { exportJWK, generateKeyPair, importJWK, type CryptoKey, type JWK } from 'jose';
import type { Clock } from '../../shared/clock';
import { randomBase62, seal, unseal, type Kek } from '../../shared/crypto';
import type { SigningKeyRecord, SigningKeyStore } from './signing-keys-store';

const ALG = 'EdDSA';
const REFRESH_MS = 10_000;
const MISS_REFRESH_MIN_MS = 1_000;
/** Clock skew allowance on top of the token lifetime before a key leaves the JWKS. */
const SKEW_MS = 60_000;

interface Loaded {
  records: Map<string, SigningKeyRecord>;
  publicKeys: Map<string, CryptoKey>;
  current: { kid: string; version: number; privateKey: CryptoKey } | undefined;
  loadedAt: number;
}

/**
 * Agent-token signing keys: kept in the store (private halves sealed), cached in memory and
 * re-read every few seconds so that every process follows a rotation. A rotated key keeps
 * verifying (and stays in the JWKS) for the longest token lifetime, so tokens signed before a
 * rotation work until they expire.
 */
export function signingKeys(deps: { store: SigningKeyStore; clock: Clock; kek: Kek; maxTokenLifetimeMs: number }) {
  const { store, clock, kek, maxTokenLifetimeMs } = deps;
  let loaded: Loaded | undefined;
  let loading: Promise<Loaded> | undefined;
  let lastMissRefresh = 0;

  async function load(): Promise<Loaded> {
    const [records, pointer] = await Promise.all([store.all(), store.current()]);
    const byKid = new Map(records.map((r) => [r.kid, r]));
    const publicKeys = new Map<string, CryptoKey>();
    for (const r of records) publicKeys.set(r.kid, (await importJWK(r.publicJwk, ALG)) as CryptoKey);
    let current: Loaded['current'];
    const rec = pointer ? byKid.get(pointer.kid) : undefined;
    if (pointer && rec) {
      const privateJwk = JSON.parse(unseal(kek, rec.sealedPrivateJwk)) as JWK;
      current = { kid: rec.kid, version: pointer.version, privateKey: (await importJWK(privateJwk, ALG)) as CryptoKey };
    }
    return { records: byKid, publicKeys, current, loadedAt: clock.now() };
  }

  async function refresh(): Promise<Loaded> {
    loading ??= load().finally(() => (loading = undefined));
    loaded = await loading;
    return loaded;
  }

  async function fresh(): Promise<Loaded> {
    if (!loaded || clock.now() - loaded.loadedAt > REFRESH_MS) return refresh();
    return loaded;
  }

  async function createKey(): Promise<SigningKeyRecord> {
    const { publicKey, privateKey } = await generateKeyPair(ALG, { extractable: true });
    const kid = `sk-${randomBase62(16)}`;
    const rec: SigningKeyRecord = {
      kid,
      alg: ALG,
      publicJwk: { ...(await exportJWK(publicKey)), kid, alg: ALG, use: 'sig' },
      sealedPrivateJwk: seal(kek, JSON.stringify({ ...(await exportJWK(privateKey)), kid, alg: ALG })),
      createdAt: clock.now(),
    };
    await store.put(rec);
    return rec;
  }

  async function rotate(): Promise<{ kid: string; previousKid: string | null }> {
    const before = await refresh();
    const rec = await createKey();
    const prev = before.current;
    if (!(await store.swapCurrent(rec.kid, prev?.version ?? 0))) {
      // Someone rotated at the same moment: theirs stands, ours never signed anything.
      await store.remove(rec.kid);
      const now = await refresh();
      return { kid: now.current!.kid, previousKid: prev?.kid ?? null };
    }
    if (prev) await store.markRotated(prev.kid, clock.now());
    await refresh();
    return { kid: rec.kid, previousKid: prev?.kid ?? null };
  }

  const visible = (r: SigningKeyRecord, now: number, currentKid?: string) =>
    r.kid === currentKid || (r.rotatedAt !== undefined && r.rotatedAt + maxTokenLifetimeMs + SKEW_MS > now);

  return {
    rotate,

    /** The key to sign with; creates the very first one on first use. */
    async current(): Promise<{ kid: string; privateKey: CryptoKey }> {
      let l = await fresh();
      if (!l.current) {
        await rotate();
        l = loaded!;
      }
      return l.current!;
    },

    /** A verification key by kid, or undefined when it is unknown or retired. */
    async publicKey(kid: string): Promise<CryptoKey | undefined> {
      let l = await fresh();
      if (!l.records.has(kid) && clock.now() - lastMissRefresh > MISS_REFRESH_MIN_MS) {
        lastMissRefresh = clock.now();
        l = await refresh();
      }
      const rec = l.records.get(kid);
      if (!rec || !visible(rec, clock.now(), l.current?.kid)) return undefined;
      return l.publicKeys.get(kid);
    },

    /** Current and recently rotated public keys, for GET /.well-known/jwks.json. */
    async jwks(): Promise<{ keys: JWK[] }> {
      const l = await fresh();
      const now = clock.now();
      const keys = [...l.records.values()]
        .filter((r) => visible(r, now, l.current?.kid))
        .sort((a, b) => b.createdAt - a.createdAt)
        .map((r) => r.publicJwk);
      return { keys };
    },

    /** Scheduled: rotates when the current key is older than `everyMs`; drops long-retired keys. */
    async rotateIfDue(everyMs: number): Promise<'rotated' | 'not-due'> {
      const l = await refresh();
      const now = clock.now();
      for (const r of l.records.values()) {
        if (r.rotatedAt !== undefined && r.rotatedAt + maxTokenLifetimeMs + SKEW_MS + 86_400_000 < now) await store.remove(r.kid);
      }
      const cur = l.current ? l.records.get(l.current.kid) : undefined;
      if (cur && now - cur.createdAt < everyMs) return 'not-due';
      await rotate();
      return 'rotated';
    },
  };
}
export type SigningKeys = ReturnType<typeof signingKeys>;
