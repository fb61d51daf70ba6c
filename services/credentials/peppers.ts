import { hmacHex, safeEqual } from '../../shared/crypto';

/** A stored secret hash and the pepper it was made with (absent on hashes older than rotation). */
export interface HashedSecret {
  secretHash: string;
  pepperId?: string;
}

export interface PepperCheck {
  ok: boolean;
  /** Set when the secret verified under an older pepper (or an untagged hash): store this instead. */
  rehash?: { secretHash: string; pepperId: string };
}

/**
 * The server peppers behind secret hashes (`HM_API_KEY_PEPPER=current,previous`). New hashes
 * use the current pepper and name it by a short fingerprint (`pepperId`, never the pepper
 * itself); hashes made with a previous pepper still verify, and the caller re-hashes them with
 * the current one on that use, so a rotation drains as keys are used. Hashes from before
 * fingerprints existed carry none: they are tried against every configured pepper.
 */
export function pepperRing(peppers: readonly string[]) {
  if (peppers.length === 0) throw new Error('at least one pepper is required');
  const ring = peppers.map((pepper) => ({ pepper, id: hmacHex(pepper, 'harbormaster/pepper-id').slice(0, 12) }));
  const current = ring[0];
  const hash = (material: string) => ({ secretHash: hmacHex(current.pepper, material), pepperId: current.id });

  return {
    currentId: current.id,
    previousIds: ring.slice(1).map((p) => p.id),
    hash,
    verify(material: string, record: HashedSecret | undefined): PepperCheck {
      // Unknown records are compared against a dummy, so timing does not tell the two apart.
      if (!record) {
        safeEqual(hmacHex(current.pepper, material), '0'.repeat(64));
        return { ok: false };
      }
      const candidates = record.pepperId ? ring.filter((p) => p.id === record.pepperId) : ring;
      for (const p of candidates) {
        if (safeEqual(hmacHex(p.pepper, material), record.secretHash)) {
          return { ok: true, rehash: p === current && record.pepperId === current.id ? undefined : hash(material) };
        }
      }
      return { ok: false };
    },
  };
}
export type PepperRing = ReturnType<typeof pepperRing>;
