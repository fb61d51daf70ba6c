import type { RequestContext } from '../../shared/actor';
import type { Clock } from '../../shared/clock';
import { isoTime } from '../../shared/clock';
import type { CursorCodec } from '../../shared/cursor';
import { conflict, forbidden, notFound, unauthorized } from '../../shared/errors';
import { newId } from '../../shared/ids';
import type { ClusterStore } from '../clusters/store';
import type { TenantStore } from '../tenants/store';
import type { AgentAccess, AgentKey, AgentKeyStore } from './agent-keys-store';
import type { AgentTokens } from './agent-tokens';
import type { Revocations } from './revocations';
import { agentKeyFormat } from './secret-format';
import type { PepperRing } from './peppers';

export interface AgentKeyView {
  id: string;
  clusterId: string;
  name: string;
  access: AgentAccess;
  hint: string;
  createdAt: string;
  createdBy: string;
  revokedAt: string | null;
  status: 'active' | 'revoked';
}

/** Agent keys (one cluster, one access level) and their exchange for short-lived tokens. */
export function agentKeysService(deps: {
  keys: AgentKeyStore;
  clusters: ClusterStore;
  tenants: TenantStore;
  tokens: AgentTokens;
  revocations: Revocations;
  clock: Clock;
  peppers: PepperRing;
  cursors: CursorCodec;
}) {
  const { keys, clusters, tenants, tokens, revocations, clock, peppers, cursors } = deps;

  const view = (k: AgentKey): AgentKeyView => ({
    id: k.id,
    clusterId: k.clusterId,
    name: k.name,
    access: k.access,
    hint: agentKeyFormat.hint(k.id),
    createdAt: k.createdAt,
    createdBy: k.createdBy,
    revokedAt: k.revokedAt ?? null,
    status: k.revokedAt ? 'revoked' : 'active',
  });

  async function liveCluster(tenantId: string, clusterId: string) {
    const c = await clusters.get(tenantId, clusterId);
    if (!c) throw notFound('cluster_not_found', `Cluster ${clusterId} does not exist.`);
    if (c.status === 'deleting' || c.status === 'deleted') throw conflict('cluster_deleting', `Cluster ${clusterId} is ${c.status}.`);
    return c;
  }

  return {
    async create(ctx: RequestContext, tenantId: string, clusterId: string, input: { name: string; access: AgentAccess }) {
      await liveCluster(tenantId, clusterId);
      const now = clock.now();
      const id = newId('agentKey', now);
      const { secret, material } = agentKeyFormat.mint(id);
      const record: AgentKey = {
        id,
        tenantId,
        clusterId,
        name: input.name,
        access: input.access,
        ...peppers.hash(material),
        createdAt: isoTime(now),
        createdBy: ctx.actor.id,
      };
      await keys.create(record);
      return { ...view(record), secret };
    },

    async list(tenantId: string, clusterId: string, limit: number, cursor?: string) {
      if (!(await clusters.get(tenantId, clusterId))) throw notFound('cluster_not_found', `Cluster ${clusterId} does not exist.`);
      const scope = `T#${tenantId}:agent-keys:${clusterId}`;
      const page = await keys.list(tenantId, clusterId, limit, cursors.decode(scope, cursor));
      return { items: page.items.map(view), nextCursor: cursors.encode(scope, page.lastKey) ?? null };
    },

    /** Revokes the key and every token minted from it (within one revocation poll). */
    async revoke(tenantId: string, clusterId: string, id: string) {
      const k = await keys.revoke(tenantId, clusterId, id, isoTime(clock.now()));
      if (!k) throw notFound('agent_key_not_found', `Agent key ${id} does not exist.`);
      await revocations.revoke('agent-key', id);
      return view(k);
    },

    /** POST /agent/v1/token: checks the key, its tenant and its cluster, then signs a token. */
    async exchange(secret: string) {
      const parsed = agentKeyFormat.parse(secret);
      if (parsed === 'malformed') throw unauthorized('malformed_credentials', 'The bearer credential is not a Harbormaster agent key (hm_ak_…).');
      if (parsed === 'checksum') throw unauthorized('invalid_credentials', 'The agent key is not valid.');
      const record = await keys.findById(parsed.id);
      const check = peppers.verify(parsed.material, record);
      if (!record || !check.ok) throw unauthorized('invalid_credentials', 'The agent key is not valid.');
      if (record.revokedAt) throw unauthorized('credentials_revoked', 'The agent key has been revoked.');
      const tenant = await tenants.get(record.tenantId);
      if (!tenant) throw unauthorized('invalid_credentials', 'The agent key is not valid.');
      if (tenant.status !== 'active') throw forbidden(`tenant_${tenant.status}`, `The tenant is ${tenant.status}.`);
      const cluster = await clusters.get(record.tenantId, record.clusterId);
      if (!cluster || cluster.status === 'deleted' || cluster.status === 'deleting') {
        throw forbidden('cluster_unavailable', 'The agent key\'s cluster is being deleted or no longer exists.');
      }
      if (check.rehash) await keys.rehash(record.tenantId, record.clusterId, record.id, record.secretHash, check.rehash);
      const { token, expiresAtMs } = await tokens.issue({ agentKeyId: record.id, tenantId: record.tenantId, clusterId: record.clusterId, access: record.access });
      return {
        accessToken: token,
        tokenType: 'Bearer' as const,
        expiresIn: Math.floor((expiresAtMs - clock.now()) / 1000),
        expiresAt: isoTime(expiresAtMs),
        tenantId: record.tenantId,
        clusterId: record.clusterId,
        access: record.access,
      };
    },
  };
}
export type AgentKeysService = ReturnType<typeof agentKeysService>;
