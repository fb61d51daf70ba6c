import type { Clock } from '../shared/clock';
import type { Queue } from 'bullmq';
import type { Config } from '../shared/config';
import type { RedisClient, RedisGuard } from '../shared/redis';
import type { Logger } from '../shared/logger';
import type { AuditService } from '../services/audit/service';
import type { ApiKeysService } from '../services/credentials/api-keys-service';
import type { AdminVerifier } from '../services/credentials/admin-tokens';
import type { ClustersService } from '../services/clusters/service';
import type { IdempotencyService } from '../services/idempotency/service';
import type { TenantsService } from '../services/tenants/service';
import type { QueueOverview } from '../services/ops/queues';
import type { AgentKeysService } from '../services/credentials/agent-keys-service';
import type { AgentTokens } from '../services/credentials/agent-tokens';
import type { Revocations } from '../services/credentials/revocations';
import type { SigningKeys } from '../services/credentials/signing-keys';
import type { FleetService } from '../services/agents/service';
import type { FleetOverview } from '../services/agents/overview';
import type { MetadataService } from '../services/metadata/service';
import type { ClusterAccess } from '../services/metadata/cluster-access';
import type { ControlPlaneView } from '../services/metadata/control-plane';
import type { RegionsService } from '../services/regions/service';
import type { TrustRulesService } from '../services/credentials/trust-rules-service';
import type { WorkloadIdentity } from '../services/credentials/workload-identity';
import type { KeyHygiene } from '../services/credentials/key-hygiene';
import type { LeakedSecrets } from '../services/credentials/leaked-secrets';
import type { UsageService } from '../services/usage/service';
import type { AgentJobsService } from '../services/jobs/service';
import type { LeaderForwarder } from './forwarding/leader-forwarder';

/** What the HTTP layer needs; built once by the composition root (infra/compose.ts). */
export interface AppDeps {
  config: Config;
  logger: Logger;
  redis: RedisClient;
  /** Bounds the request-path Redis calls; its breaker state feeds the limiter and metrics. */
  redisGuard: RedisGuard;
  clock: Clock;
  services: {
    tenants: TenantsService<Awaited<ReturnType<ApiKeysService['issue']>>>;
    apiKeys: ApiKeysService;
    clusters: ClustersService;
    audit: AuditService;
    idempotency: IdempotencyService;
    adminVerifier: AdminVerifier;
    queues: QueueOverview;
    agentKeys: AgentKeysService;
    agentTokens: AgentTokens;
    trustRules: TrustRulesService;
    workloadIdentity: WorkloadIdentity;
    keyHygiene: KeyHygiene;
    leakedSecrets: LeakedSecrets;
    revocations: Revocations;
    signingKeys: SigningKeys;
    fleet: FleetService;
    metadata: MetadataService;
    clusterAccess: ClusterAccess;
    fleetOverview: FleetOverview;
    regions: RegionsService;
    controlPlane: ControlPlaneView;
    /** The tier's agent metadata requests per second for a cluster (cached); undefined when unknown. */
    clusterMetadataRate(tenantId: string, clusterId: string): Promise<number | undefined>;
    usage: UsageService;
    agentJobs: AgentJobsService;
    /** Every queue, for the queue console (bull-board). */
    queueBoard: { all(): Promise<Queue[]> };
  };
  /** Set in processes that never lead clusters (the Lambda API): topic changes go to the leader. */
  leaderForwarder?: LeaderForwarder;
  /** Readiness probes: each resolves when its dependency answers. */
  readiness: Record<string, () => Promise<void>>;
  /** Probes of dependencies the process keeps serving without (reported, not failing readiness). */
  degradedReadiness?: Record<string, () => Promise<void>>;
}
