import type { RequestContext } from '../../shared/actor';
import type { Clock } from '../../shared/clock';
import { isoTime } from '../../shared/clock';
import type { CursorCodec } from '../../shared/cursor';
import { badRequest, conflict, notFound } from '../../shared/errors';
import { newId } from '../../shared/ids';
import type { ClusterStore } from '../clusters/store';
import type { AgentAccess } from './agent-keys-store';
import { checkRolePattern } from './aws-arn';
import type { Revocations } from './revocations';
import type { TrustRule, TrustRuleStore } from './trust-rules-store';

/** Rules per cluster: each exchange reads and matches all of them. */
export const MAX_RULES_PER_CLUSTER = 20;

export interface TrustRuleView {
  id: string;
  clusterId: string;
  provider: 'aws';
  accountId: string;
  roleArnPattern: string;
  access: AgentAccess;
  expiresAt: string | null;
  createdAt: string;
  createdBy: string;
  status: 'active' | 'expired';
}

export interface TrustRuleInput {
  provider: 'aws';
  accountId: string;
  roleArnPattern: string;
  access: AgentAccess;
  expiresAt?: string;
}

const PATTERN_PROBLEMS = {
  not_a_role_pattern: 'roleArnPattern must look like arn:aws:iam::<accountId>:role/<name>, where the name may hold * and ? wildcards.',
  role_path_not_supported:
    'roleArnPattern may not name an IAM path: STS reports a role session without its path, so the path could not be checked. Name the role (or a wildcard) directly after role/.',
  account_mismatch: 'The account in roleArnPattern must be accountId.',
} as const;

/** Trust rules (`agent-identities`): which cloud roles may act as a cluster's agents. */
export function trustRulesService(deps: { rules: TrustRuleStore; clusters: ClusterStore; revocations: Revocations; clock: Clock; cursors: CursorCodec }) {
  const { rules, clusters, revocations, clock, cursors } = deps;

  const view = (r: TrustRule): TrustRuleView => ({
    id: r.id,
    clusterId: r.clusterId,
    provider: r.provider,
    accountId: r.accountId,
    roleArnPattern: r.roleArnPattern,
    access: r.access,
    expiresAt: r.expiresAt ?? null,
    createdAt: r.createdAt,
    createdBy: r.createdBy,
    status: r.expiresAt && r.expiresAt <= isoTime(clock.now()) ? 'expired' : 'active',
  });

  async function existingCluster(tenantId: string, clusterId: string) {
    const c = await clusters.get(tenantId, clusterId);
    if (!c) throw notFound('cluster_not_found', `Cluster ${clusterId} does not exist.`);
    return c;
  }

  return {
    view,

    async create(ctx: RequestContext, tenantId: string, clusterId: string, input: TrustRuleInput): Promise<TrustRuleView> {
      const c = await existingCluster(tenantId, clusterId);
      if (c.status === 'deleting' || c.status === 'deleted') throw conflict('cluster_deleting', `Cluster ${clusterId} is ${c.status}.`);
      const problem = checkRolePattern(input.roleArnPattern, input.accountId);
      if (problem) throw badRequest(problem === 'not_a_role_pattern' ? 'invalid_role_pattern' : problem, PATTERN_PROBLEMS[problem]);
      const now = clock.now();
      if (input.expiresAt !== undefined && Date.parse(input.expiresAt) <= now) throw badRequest('invalid_expiry', 'expiresAt must be a time in the future.');
      const existing = await rules.all(tenantId, clusterId);
      if (existing.length >= MAX_RULES_PER_CLUSTER) {
        throw conflict('trust_rule_limit_reached', `A cluster may hold at most ${MAX_RULES_PER_CLUSTER} trust rules; delete one first.`);
      }
      const rule: TrustRule = {
        id: newId('agentIdentity', now),
        tenantId,
        clusterId,
        provider: input.provider,
        accountId: input.accountId,
        roleArnPattern: input.roleArnPattern,
        access: input.access,
        expiresAt: input.expiresAt ? isoTime(Date.parse(input.expiresAt)) : undefined,
        createdAt: isoTime(now),
        createdBy: ctx.actor.id,
      };
      await rules.create(rule);
      return view(rule);
    },

    async list(tenantId: string, clusterId: string, limit: number, cursor?: string) {
      await existingCluster(tenantId, clusterId);
      const scope = `T#${tenantId}:agent-identities:${clusterId}`;
      const page = await rules.list(tenantId, clusterId, limit, cursors.decode(scope, cursor));
      return { items: page.items.map(view), nextCursor: cursors.encode(scope, page.lastKey) ?? null };
    },

    /** Deletes the rule; tokens issued under it stop working within one revocation poll. */
    async remove(tenantId: string, clusterId: string, id: string): Promise<TrustRuleView> {
      const rule = await rules.get(tenantId, clusterId, id);
      if (!rule || !(await rules.remove(tenantId, clusterId, id))) throw notFound('agent_identity_not_found', `Trust rule ${id} does not exist.`);
      // The revocation log names the credential behind a token: an agent key or, here, a rule.
      await revocations.revoke('agent-key', id);
      return view(rule);
    },

    /** The rules that may grant access now (the token exchange matches against these). */
    async active(tenantId: string, clusterId: string): Promise<TrustRule[]> {
      const now = isoTime(clock.now());
      return (await rules.all(tenantId, clusterId)).filter((r) => !r.expiresAt || r.expiresAt > now);
    },
  };
}
export type TrustRulesService = ReturnType<typeof trustRulesService>;
