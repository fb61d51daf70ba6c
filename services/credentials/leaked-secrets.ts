import type { Clock } from '../../shared/clock';
import { isoTime } from '../../shared/clock';
import type { AgentKeyStore } from './agent-keys-store';
import type { ApiKeyStore } from './api-keys-store';
import type { PepperRing } from './peppers';
import type { Revocations } from './revocations';
import { agentKeyFormat, apiKeyFormat } from './secret-format';

export type LeakReport =
  | { recognised: false }
  | { recognised: true; kind: 'api-key' | 'agent-key'; id: string; tenantId: string; clusterId: string | null; revokedAt: string; alreadyRevoked: boolean };

/**
 * A secret found where it should not be (a public repository, a paste, a scanner's report):
 * if it is one of ours and verifies, it is revoked at once. Anything else, including a
 * well-formed secret whose id exists but whose secret part is wrong, answers the same
 * `recognised: false`, so the endpoint never confirms a guess.
 */
export function leakedSecrets(deps: { apiKeys: ApiKeyStore; agentKeys: AgentKeyStore; peppers: PepperRing; revocations: Revocations; clock: Clock }) {
  const { apiKeys, agentKeys, peppers, revocations, clock } = deps;
  const unknown: LeakReport = { recognised: false };

  return {
    async report(secret: string): Promise<LeakReport> {
      const asApi = apiKeyFormat.parse(secret);
      if (typeof asApi === 'object') {
        const k = await apiKeys.findById(asApi.id);
        if (!peppers.verify(asApi.material, k).ok || !k) return unknown;
        const revoked = (await apiKeys.revoke(k.tenantId, k.id, isoTime(clock.now())))!;
        return { recognised: true, kind: 'api-key', id: k.id, tenantId: k.tenantId, clusterId: null, revokedAt: revoked.revokedAt!, alreadyRevoked: k.revokedAt !== undefined };
      }
      const asAgent = agentKeyFormat.parse(secret);
      if (typeof asAgent === 'object') {
        const k = await agentKeys.findById(asAgent.id);
        if (!peppers.verify(asAgent.material, k).ok || !k) return unknown;
        const revoked = (await agentKeys.revoke(k.tenantId, k.clusterId, k.id, isoTime(clock.now())))!;
        await revocations.revoke('agent-key', k.id);
        return { recognised: true, kind: 'agent-key', id: k.id, tenantId: k.tenantId, clusterId: k.clusterId, revokedAt: revoked.revokedAt!, alreadyRevoked: k.revokedAt !== undefined };
      }
      return unknown;
    },
  };
}
export type LeakedSecrets = ReturnType<typeof leakedSecrets>;
