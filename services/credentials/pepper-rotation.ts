import { unseal } from '../../shared/crypto';
import type { Logger } from '../../shared/logger';
import type { SigningKeys } from './signing-keys';
import type { SigningKeyStore } from './signing-keys-store';

/**
 * Which pepper the signing key that signs now was sealed under: `previous` (any other than the
 * current one) while signing still needs it, `none` before the first key exists.
 */
export async function signingKeyPepper(deps: { store: SigningKeyStore; currentKek: Buffer }): Promise<'current' | 'previous' | 'none'> {
  const pointer = await deps.store.pointer();
  const rec = pointer && (await deps.store.all()).find((r) => r.kid === pointer.kid);
  if (!rec) return 'none';
  try {
    unseal(deps.currentKek, rec.sealedPrivateJwk);
    return 'current';
  } catch {
    return 'previous';
  }
}

/**
 * During a pepper rotation (a previous pepper configured), the agent-token signing key whose
 * private half is sealed under a previous pepper is rotated away at start: its successor is
 * published now and signs once every process has seen it (NEXT_KEY_LEAD_MS, see
 * signing-keys.ts), so that once the previous pepper is removed, signing needs nothing it
 * sealed (older keys only publish their public halves). Until then the pepper status counts
 * the signing key as still needing the previous pepper. True when it started a rotation.
 */
export async function replaceSigningKeySealedWithOldPepper(deps: { store: SigningKeyStore; signingKeys: SigningKeys; currentKek: Buffer; logger: Logger }) {
  if ((await signingKeyPepper(deps)) !== 'previous') return false;
  const pointer = await deps.store.pointer();
  const { kid } = await deps.signingKeys.rotate();
  deps.logger.info({ previousKid: pointer?.kid, kid }, 'signing key was sealed under a previous pepper: its successor is published');
  return true;
}
