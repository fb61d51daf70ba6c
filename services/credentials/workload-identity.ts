import type { Clock } from '../../shared/clock';
import { isoTime } from '../../shared/clock';
import { forbidden, isAppError, unauthorized } from '../../shared/errors';
import type { Logger } from '../../shared/logger';
import type { AuditService } from '../audit/service';
import type { ClusterStore } from '../clusters/store';
import type { TenantStore } from '../tenants/store';
import type { AgentAccess } from './agent-keys-store';
import type { AgentTokens } from './agent-tokens';
import { matchesRolePattern, roleOfCaller } from './aws-arn';
import type { SignatureReplayGuard } from './signature-replay';
import type { TrustRule } from './trust-rules-store';
import type { TrustRulesService } from './trust-rules-service';
import { checkStsRequest, type PresentedIdentity } from './workload-identity-request';
import type { CallerIdentity } from './workload-identity-sts';

const notTrusted = () => unauthorized('identity_not_trusted', 'No trust rule of this cluster matches the calling AWS identity.');

/** Among the rules that match, the broadest grant wins: each rule is an allowance. */
function grant(matching: TrustRule[]): TrustRule | undefined {
  return matching.find((r) => r.access === 'read-write') ?? matching[0];
}

/**
 * `POST /agent/v1/token` with a workload identity: the agent's signed STS GetCallerIdentity
 * request is checked locally (shape, endpoint, audience, freshness), claimed as used once,
 * forwarded to STS, and the ARN STS vouches for is normalised to its role and matched against
 * the named cluster's trust rules. Refusals after STS answered are audited in the cluster's
 * tenant with the ARN that tried.
 */
export function workloadIdentity(deps: {
  sts: { verify(req: ReturnType<typeof checkStsRequest>): Promise<CallerIdentity> };
  replay: SignatureReplayGuard;
  clusters: ClusterStore;
  tenants: TenantStore;
  rules: TrustRulesService;
  tokens: AgentTokens;
  audit: AuditService;
  clock: Clock;
  logger: Logger;
  endpoints: string[];
  audience: string;
}) {
  const { sts, replay, clusters, tenants, rules, tokens, audit, clock, logger } = deps;

  async function refuse(err: Error, at: { tenantId: string; clusterId: string; callerArn: string; requestId: string }): Promise<never> {
    try {
      await audit.record(
        { actor: { kind: 'aws-identity', id: at.callerArn }, requestId: at.requestId },
        {
          action: 'agent_token.exchange',
          tenantId: at.tenantId,
          target: { type: 'cluster', id: at.clusterId },
          result: 'failure',
          errorCode: isAppError(err) ? err.code : 'internal_error',
          status: isAppError(err) ? err.status : 500,
        },
      );
    } catch (auditErr) {
      logger.error({ err: auditErr }, 'audit write failed for a refused identity exchange');
    }
    throw err;
  }

  return {
    async exchange(input: PresentedIdentity, requestId: string) {
      const checked = checkStsRequest(input, { endpoints: deps.endpoints, audience: deps.audience, nowMs: clock.now() });
      if (!(await replay.claim(checked.signature))) {
        throw unauthorized('signature_replayed', 'This signed request was used before; sign a new one for every exchange.');
      }
      const caller = await sts.verify(checked);
      const cluster = await clusters.locate(input.clusterId);
      if (!cluster) {
        logger.warn({ callerArn: caller.arn, clusterId: input.clusterId }, 'identity exchange for an unknown cluster');
        throw notTrusted();
      }
      const at = { tenantId: cluster.tenantId, clusterId: cluster.id, callerArn: caller.arn, requestId };
      const role = roleOfCaller(caller.arn);
      const matching =
        role && role.account === caller.account
          ? (await rules.active(cluster.tenantId, cluster.id)).filter((r) => r.accountId === caller.account && matchesRolePattern(role.roleArn, r.roleArnPattern))
          : [];
      const rule = grant(matching);
      if (!role || !rule) return refuse(notTrusted(), at);
      const tenant = await tenants.get(cluster.tenantId);
      if (!tenant) return refuse(notTrusted(), at);
      if (tenant.status !== 'active') return refuse(forbidden(`tenant_${tenant.status}`, `The tenant is ${tenant.status}.`), at);
      if (cluster.status === 'deleting' || cluster.status === 'deleted') {
        return refuse(forbidden('cluster_unavailable', 'The cluster is being deleted or no longer exists.'), at);
      }
      const access: AgentAccess = rule.access;
      const { token, expiresAtMs } = await tokens.issue({ agentKeyId: rule.id, subject: role.roleArn, tenantId: cluster.tenantId, clusterId: cluster.id, access });
      return {
        accessToken: token,
        tokenType: 'Bearer' as const,
        expiresIn: Math.floor((expiresAtMs - clock.now()) / 1000),
        expiresAt: isoTime(expiresAtMs),
        tenantId: cluster.tenantId,
        clusterId: cluster.id,
        access,
        subject: role.roleArn,
      };
    },
  };
}
export type WorkloadIdentity = ReturnType<typeof workloadIdentity>;
