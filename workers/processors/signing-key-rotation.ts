import type { SigningKeys } from '../../services/credentials/signing-keys';

/** Rotates the agent-token signing key when it is older than the configured age. */
export const signingKeyRotationProcessor = (keys: SigningKeys, everyMs: number) => () => keys.rotateIfDue(everyMs);
