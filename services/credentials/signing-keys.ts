import { exportJWK, generateKeyPair, importJWK, type CryptoKey, type JWK } from 'jose';
import { isoTime, type Clock } from '../../shared/clock';
import { randomBase62, seal, unseal, type Kek } from '../../shared/crypto';
import { unavailable } from '../../shared/errors';
import type { KeyPointer, SigningKeyRecord, SigningKeyStore } from './signing-keys-store';

const ALG = 'EdDSA';
/** Every process re-reads the keys at least this often (and at once on an unknown kid). */
const REFRESH_MS = 10_000;
const MISS_REFRESH_MIN_MS = 1_000;
/** How long JWKS consumers may cache GET /.well-known/jwks.json. */
export const JWKS_CACHE_SECONDS = 60;
/**
 * A new key is published (JWKS, every process's view) this long before it signs: longer than
 * any view we or a JWKS consumer may hold (10 s, 60 s), with room for clock skew between the
 * process that publishes it and the one that activates it.
 */
export const NEXT_KEY_LEAD_MS = 120_000;
/** Clock skew allowance on top of the token lifetime before a retired key stops verifying. */
const SKEW_MS = 60_000;
/** A record the pointer does not name is a publish that crashed or lost a race, once this old. */
const ORPHAN_GRACE_MS = 600_000;

interface Loaded {
  pointer: KeyPointer | undefined;
  records: Map<string, SigningKeyRecord>;
  publicKeys: Map<string, CryptoKey>;
  current: { kid: string; privateKey: CryptoKey } | undefined;
  /** When the reads started: the view reflects every write made before this. */
  loadedAt: number;
  /** Order in which loads started (clocks may not move between two). */
  seq: number;
}

export interface RotationState {
  /** The key being rotated to (pending) or the key that signs now (active). */
  kid: string;
  /** The key it replaces, which keeps verifying for one token lifetime after it stops signing. */
  previousKid: string | null;
  status: 'pending' | 'active';
  /** When `kid` starts (pending) or started (active) signing. */
  activatesAt: string;
}

/**
 * Agent-token signing keys, rotated in steps that are each one conditional write of the
 * pointer, so that any process may stop between two of them and every view stays valid:
 *   1. publish: a new key is written, then named `next`; it verifies (and is in the JWKS) but
 *      nobody signs with it yet;
 *   2. activate, `NEXT_KEY_LEAD_MS` later (every view has seen it by then): it becomes current
 *      and the old key joins `retired` with the time it stopped signing;
 *   3. a retired key verifies until that time plus the longest token lifetime (and the
 *      refresh interval and clock skew), then leaves the JWKS and is removed.
 * Any later rotation, scheduled check or token issue completes a rotation left half done.
 */
export function signingKeys(deps: { store: SigningKeyStore; clock: Clock; kek: Kek; maxTokenLifetimeMs: number }) {
  const { store, clock, kek, maxTokenLifetimeMs } = deps;
  const retainMs = REFRESH_MS + maxTokenLifetimeMs + SKEW_MS;
  let loaded: Loaded | undefined;
  let loading: Promise<Loaded> | undefined;
  let loads = 0;
  let lastMissRefresh = 0;

  /** Kids that verify at `now`: current, next, and keys retired less than `retainMs` ago. */
  function verifiable(p: KeyPointer | undefined, now: number): Set<string> {
    const out = new Set<string>();
    if (!p) return out;
    out.add(p.kid);
    if (p.next) out.add(p.next.kid);
    for (const r of p.retired) if (r.at + retainMs > now) out.add(r.kid);
    return out;
  }

  async function load(): Promise<Loaded> {
    const loadedAt = clock.now();
    const seq = ++loads;
    // Pointer first: every key it names was written before it, so the records read next hold them.
    const pointer = await store.pointer();
    const records = new Map((await store.all()).map((r) => [r.kid, r]));
    const publicKeys = new Map<string, CryptoKey>();
    for (const kid of verifiable(pointer, loadedAt)) {
      const rec = records.get(kid);
      if (rec) publicKeys.set(kid, (await importJWK(rec.publicJwk, ALG)) as CryptoKey);
    }
    let current: Loaded['current'];
    const rec = pointer ? records.get(pointer.kid) : undefined;
    if (rec) {
      // Sealed under a pepper this process lacks (dropped before its successor took over):
      // verification goes on, and issuing answers a 503 instead of failing on the cipher.
      const sealed = tryUnseal(rec.sealedPrivateJwk);
      if (sealed !== undefined) current = { kid: rec.kid, privateKey: (await importJWK(JSON.parse(sealed) as JWK, ALG)) as CryptoKey };
    }
    return { pointer, records, publicKeys, current, loadedAt, seq };
  }

  function tryUnseal(sealed: string): string | undefined {
    try {
      return unseal(kek, sealed);
    } catch {
      return undefined;
    }
  }

  /** Loads finish out of order (see reload): the view kept is the one that started last. */
  function keep(l: Loaded): Loaded {
    if (!loaded || l.seq > loaded.seq) loaded = l;
    return l;
  }

  async function refresh(): Promise<Loaded> {
    loading ??= load().finally(() => (loading = undefined));
    return keep(await loading);
  }

  /**
   * A load that starts now, for after a write of ours: a load already in flight may have read
   * the pointer before that write, and answering from it would hide what we just made.
   */
  async function reload(): Promise<Loaded> {
    return keep(await load());
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

  const due = (p: KeyPointer, now: number) => p.next !== undefined && p.next.at + NEXT_KEY_LEAD_MS <= now;

  /** Step 0: the very first key signs at once. */
  async function createFirst() {
    const rec = await createKey();
    // Someone else made the first key at the same moment: theirs stands, ours never signed.
    if (!(await store.createFirst(rec.kid, clock.now()))) await store.remove(rec.kid);
    return reload();
  }

  /** Step 1: write a new key and name it next. */
  async function publishNext(p: KeyPointer) {
    const rec = await createKey();
    if (!(await store.stageNext(rec.kid, clock.now(), p.version))) await store.remove(rec.kid);
    return reload();
  }

  /** Step 2: the published key signs from now; the old one is retired now, in the same write. */
  async function activateNext(p: KeyPointer) {
    const now = clock.now();
    const retired = [...p.retired.filter((r) => r.at + retainMs > now), { kid: p.kid, at: now }];
    await store.promote(p, now, retired);
    return reload();
  }

  /** Removes key records that no longer verify, and orphans of crashed or lost publishes. */
  async function collectGarbage(l: Loaded, now: number) {
    const keep = verifiable(l.pointer, now);
    for (const r of l.records.values()) {
      if (!keep.has(r.kid) && r.createdAt + ORPHAN_GRACE_MS < now) await store.remove(r.kid);
    }
  }

  function state(l: Loaded): RotationState {
    const p = l.pointer!;
    if (p.next) return { kid: p.next.kid, previousKid: p.kid, status: 'pending', activatesAt: isoTime(p.next.at + NEXT_KEY_LEAD_MS) };
    return { kid: p.kid, previousKid: p.retired.at(-1)?.kid ?? null, status: 'active', activatesAt: isoTime(p.since) };
  }

  return {
    /**
     * One step forward: publishes a next key when none is pending, activates the pending one
     * once its lead time has passed, and otherwise reports it.
     */
    async rotate(): Promise<RotationState> {
      let l = await refresh();
      const p = l.pointer;
      if (!p) l = await createFirst();
      else if (!p.next) l = await publishNext(p);
      else if (due(p, clock.now())) l = await activateNext(p);
      return state(l);
    },

    /** The key to sign with; creates the very first one, and activates a next key that is due. */
    async current(): Promise<{ kid: string; privateKey: CryptoKey }> {
      let l = await fresh();
      if (!l.pointer) l = await createFirst();
      else if (due(l.pointer, clock.now())) l = await activateNext(l.pointer);
      if (!l.current) throw unavailable('signing_key_unavailable', 'No signing key is available right now; retry shortly.');
      return l.current;
    },

    /** A verification key by kid, or undefined when it is unknown or retired. */
    async publicKey(kid: string): Promise<CryptoKey | undefined> {
      let l = await fresh();
      if (!l.publicKeys.has(kid) && clock.now() - lastMissRefresh > MISS_REFRESH_MIN_MS) {
        lastMissRefresh = clock.now();
        l = await refresh();
      }
      return verifiable(l.pointer, clock.now()).has(kid) ? l.publicKeys.get(kid) : undefined;
    },

    /** Current, next and recently retired public keys, for GET /.well-known/jwks.json. */
    async jwks(): Promise<{ keys: JWK[] }> {
      const l = await fresh();
      const kids = verifiable(l.pointer, clock.now());
      const keys = [...l.records.values()]
        .filter((r) => kids.has(r.kid))
        .sort((a, b) => b.createdAt - a.createdAt)
        .map((r) => r.publicJwk);
      return { keys };
    },

    /**
     * Scheduled: completes a pending rotation when due, publishes a next key when the current
     * one has signed for `everyMs`, and drops keys that no longer verify.
     */
    async rotateIfDue(everyMs: number): Promise<'created' | 'published' | 'activated' | 'pending' | 'not-due'> {
      const l = await refresh();
      const now = clock.now();
      await collectGarbage(l, now);
      const p = l.pointer;
      if (!p) {
        await createFirst();
        return 'created';
      }
      if (p.next) {
        if (!due(p, now)) return 'pending';
        await activateNext(p);
        return 'activated';
      }
      if (now - p.since < everyMs) return 'not-due';
      await publishNext(p);
      return 'published';
    },
  };
}
export type SigningKeys = ReturnType<typeof signingKeys>;
