import path from 'node:path';
import type { AppDeps } from '../api/deps';
import { systemClock, type Clock } from '../shared/clock';
import type { Config } from '../shared/config';
import { randomBase62 } from '../shared/crypto';
import { cursorCodec } from '../shared/cursor';
import { createLogger, type Logger } from '../shared/logger';
import { bullConnection as bullOptions, createRedis, redisGuard, scanKeys, withDeadline, type RedisClient } from '../shared/redis';
import { readOrCreateSecretFile } from '../shared/secret-files';
import { auditService } from '../services/audit/service';
import { clusterLifecycle } from '../services/clusters/lifecycle';
import { clustersService } from '../services/clusters/service';
import { adminVerifier, loadLocalAdminIssuer, type LocalAdminIssuer } from '../services/credentials/admin-tokens';
import { apiKeysService } from '../services/credentials/api-keys-service';
import { idempotencyService } from '../services/idempotency/service';
import { tenantsService } from '../services/tenants/service';
import { API_KEY_SCOPES } from '../services/credentials/scopes';
import type { RunningWorkers } from '../workers';
import { lifecycleProducer, openQueues, queueOverview, queueRegistry } from '../workers/queues';
import { queueKeys } from '../workers/queue-keys';
import { composeAgentJobQueues, composeAgentJobs } from './compose-agent-jobs';
import { composeStores } from './compose-stores';
import { nodeIdOf } from './node-id';
import { ensureTables } from './local/ensure-tables';
import { dataAccess } from './data-access';
import { pepperRing } from '../services/credentials/peppers';
import { keyHygiene } from '../services/credentials/key-hygiene';
import { replaceSigningKeySealedWithOldPepper, signingKeyPepper } from '../services/credentials/pepper-rotation';
import { leakedSecrets } from '../services/credentials/leaked-secrets';
import { deriveKey } from '../shared/crypto';
import { agentKeysService } from '../services/credentials/agent-keys-service';
import { agentTokens } from '../services/credentials/agent-tokens';
import { revocations as revocationLog } from '../services/credentials/revocations';
import { signingKeys as signingKeyService } from '../services/credentials/signing-keys';
import { clusterCache } from '../services/clusters/cluster-cache';
import { fleetService } from '../services/agents/service';
import { fleetOverview } from '../services/agents/overview';
import { metadataService } from '../services/metadata/service';
import { clusterAccess } from '../services/metadata/cluster-access';
import { metadataHome } from '../services/metadata/retirement';
import { controlPlaneView } from '../services/metadata/control-plane';
import { leaseStore } from '../services/metadata/lease-store';
import { regionsService } from '../services/regions/service';
import { StoreLatency } from '../shared/store-latency';
import { metadataHomeStore } from '../services/metadata/home-store';
import os from 'node:os';
import { usageMeter } from '../services/usage/meter';
import { meteredFleet, meteredMetadata } from '../services/usage/hooks';
import { usageService } from '../services/usage/service';
import { usageRollup } from '../services/usage/rollup';
import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import type { InProcessStore } from '../shared/dynamo';
import { trustRulesService } from '../services/credentials/trust-rules-service';
import { workloadIdentity } from '../services/credentials/workload-identity';
import { stsCallerIdentity } from '../services/credentials/workload-identity-sts';
import { signatureReplayGuard } from '../services/credentials/signature-replay';
import { MAX_SIGNATURE_AGE_MS, MAX_SIGNATURE_LEAD_MS } from '../services/credentials/workload-identity-request';

export interface ComposeOptions {
  config: Config;
  dynamoEndpoint?: string;
  /** The embedded store in this process: the base client calls it directly (the endpoint stays for other users). */
  dynamoInProcess?: InProcessStore;
  redisUrl: string;
  clock?: Clock;
  logger?: Logger;
  /** The base identity for STS AssumeRole (token vending machine); default: the AWS credential chain. */
  stsCredentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  /** Tests pass a fixed pepper; otherwise config or a file under the data directory. */
  pepper?: string;
  reconcileEveryMs?: number;
  /** How often the worker looks for API keys expiring within a week (default hourly). */
  keyExpiryEveryMs?: number;
  livenessEveryMs?: number;
  /** Poll the revocation log (default yes); a process that serves no agents (the Lambda API) need not. */
  pollRevocations?: boolean;
  /** Count usage and flush it (default yes); the Lambda API serves nothing that is metered. */
  meterUsage?: boolean;
}

/**
 * The composition root: builds every store and service once, for the server, the workers
 * and the tests alike. Nothing else constructs services.
 */
export async function compose(opts: ComposeOptions) {
  const { config } = opts;
  const clock = opts.clock ?? systemClock;
  const logger = opts.logger ?? createLogger(config.logLevel);
  const data = dataAccess({ config, endpoint: opts.dynamoEndpoint, inProcess: opts.dynamoInProcess, clock, logger, stsCredentials: opts.stsCredentials });
  const { dynamo, db, tables } = data;
  // This node's view of its link to the store: published in the region registry.
  const storeLatency = new StoreLatency();
  storeLatency.attach(dynamo);
  if (config.createTables && (await ensureTables(dynamo, config.tablePrefix)).ttl === 'unsupported') {
    logger.info('the store has no TTL (embedded engine): expired items stay and are filtered when read');
  }
  const redisTimeoutMs = config.redisCommandTimeoutMs;
  const redis: RedisClient = createRedis(opts.redisUrl, 'command', { commandTimeoutMs: redisTimeoutMs, cluster: config.redisCluster });
  const guard = redisGuard({
    onChange: (up, cause) =>
      up ? logger.warn('redis available again') : logger.error({ err: cause?.message }, 'redis unavailable: heartbeats and discovery answer 503, rate limits count locally'),
  });
  const bull = bullOptions(opts.redisUrl, config.redisCluster);
  const bullConnection = bull.connection;
  const bullKeys = queueKeys(config.queuePrefix, config.redisCluster);
  const queues = openQueues(bullConnection, bullKeys);
  const queueBoard = queueRegistry(() => createRedis(opts.redisUrl, 'blocking', { cluster: config.redisCluster }), bullKeys, (pattern) => scanKeys(redis, pattern));
  const agentJobQueueSet = composeAgentJobQueues(config, opts.redisUrl, clock, logger);
  const agentQueues = agentJobQueueSet.queues;

  const pepper =
    opts.pepper ?? config.apiKeyPepper ?? readOrCreateSecretFile(path.join(config.dataDir, 'keys', 'api-key-pepper'), () => randomBase62(48));
  // HM_API_KEY_PEPPER=current,previous: the current pepper makes new hashes, seals and cursors;
  // the previous ones keep what they made readable until it is re-made.
  const peppers = [pepper, ...config.previousApiKeyPeppers];
  const pepperSet = pepperRing(peppers);
  const cursors = cursorCodec(peppers);
  const localIssuer: LocalAdminIssuer | undefined = config.admin.jwksUrl
    ? undefined
    : await loadLocalAdminIssuer(config.dataDir, config.admin.issuer, config.admin.audience);

  const stores = composeStores(db, tables, clock, redis, config.queuePrefix, guard);
  const maxTokenLifetimeMs = config.agents.tokenTtlSeconds * 1000;
  const revocations = revocationLog({
    store: stores.revocations,
    clock,
    logger,
    maxTokenLifetimeMs,
    pollMs: config.agents.revocationPollMs,
    maxStalenessMs: config.agents.revocationMaxStalenessMs,
  });
  if (opts.pollRevocations !== false) await revocations.start();
  const signingKeys = signingKeyService({ store: stores.signingKeys, clock, kek: peppers.map((p) => deriveKey(p, 'signing-keys')), maxTokenLifetimeMs });
  if (config.previousApiKeyPeppers.length > 0) {
    await replaceSigningKeySealedWithOldPepper({ store: stores.signingKeys, signingKeys, currentKek: deriveKey(pepper, 'signing-keys'), logger });
  }
  const tokens = agentTokens({ keys: signingKeys, clock, issuer: config.publicUrl, ttlSeconds: config.agents.tokenTtlSeconds });
  const clusterContexts = clusterCache({ clusters: stores.clusters, tenants: stores.tenants, clock });
  // Usage counts are kept per process run (a restart must not overwrite what its previous run flushed).
  const meterNode = `${os.hostname()}-${process.pid}-${randomBase62(6)}`;
  const usage = stores.usage;
  const meter = usageMeter({ store: usage, clock, node: meterNode, heartbeatIntervalMs: config.agents.heartbeatIntervalMs, logger: logger.child({ component: 'usage' }) });
  const nodeId = nodeIdOf(config);
  // The region registry and the metadata sequencers need each other: the registry reports how
  // many clusters this node leads, the sequencers place multi-region clusters by the registry.
  const regions = regionsService({
    store: stores.regions,
    clock,
    self: { nodeId, region: config.region.name, endpoint: config.region.endpoint, address: config.sequencer.advertisedAddress },
    storeHealth: () => storeLatency.summary(),
    latencyBudgetMs: config.region.storeLatencyBudgetMs,
    beatEveryMs: config.region.beatEveryMs,
    leading: () => sequencers.status().filter((s) => s.phase === 'serving').length,
    logger: logger.child({ component: 'regions' }),
  });
  const sequencers = metadataService({
    db,
    table: tables.metadata,
    clock,
    nodeId,
    advertisedAddress: config.sequencer.advertisedAddress,
    region: config.region.name,
    placement: {
      directory: regions,
      leaseMs: config.region.leaseMs,
      renewEveryMs: Math.floor(config.region.leaseMs / 4),
      latencyBudgetMs: config.region.leaderLatencyBudgetMs,
      returnAfterMs: config.region.returnAfterMs,
    },
    leaseMs: config.sequencer.leaseMs,
    snapshotEveryEntries: config.sequencer.snapshotEveryEntries,
    snapshotEveryMs: config.sequencer.snapshotEveryMs,
    log: config.log,
    logger: logger.child({ component: 'sequencer' }),
  });
  const metadata = meteredMetadata(sequencers, meter);
  if (opts.meterUsage !== false) meter.start(config.usage.flushEveryMs, () => sequencers.usageSample());
  // A queue write that cannot reach Redis fails within the deadline (503, or the reconciler
  // re-queues) instead of waiting in BullMQ's offline queue.
  const jobs = withDeadline(lifecycleProducer(queues), redisTimeoutMs);
  // Only nodes that serve the API join the registry: agents are sent to them, leadership handed to them.
  if (config.role !== 'workers') await regions.start();
  const audit = auditService({ store: stores.audit, clock, cursors });
  const apiKeys = apiKeysService({ keys: stores.apiKeys, tenants: stores.tenants, clock, peppers: pepperSet, cursors });
  const clusters = clustersService({ clusters: stores.clusters, tenants: stores.tenants, jobs, clock, cursors, logger, maxJournalStripes: config.sequencer.maxJournalStripes });
  const tenants = tenantsService({
    tenants: stores.tenants,
    jobs,
    clock,
    cursors,
    hooks: {
      issueInitialKey: (tenantId, createdBy) => apiKeys.issue(tenantId, createdBy, { name: 'initial', scopes: [...API_KEY_SCOPES] }),
      revokeCredentials: (tenantId) => revocations.revoke('tenant', tenantId),
      clusterTiers: async (tenantId, ids) => {
        const found = await Promise.all(ids.map((id) => stores.clusters.get(tenantId, id)));
        return found.filter((c) => c !== undefined && c.status !== 'deleted').map((c) => ({ id: c!.id, tier: c!.tier }));
      },
    },
  });
  const fleet = meteredFleet(fleetService({
    live: stores.live,
    members: stores.members,
    clusters: clusterContexts,
    audit,
    clock,
    cursors,
    intervalMs: config.agents.heartbeatIntervalMs,
    heartbeatsPerInterval: config.limits.heartbeatsPerInterval,
    recommendedVersion: config.agents.recommendedVersion,
    logger: logger.child({ component: 'fleet' }),
    onAgentDead: (d) => agentQueues.releaseAgent(d.clusterId, d.agentId),
  }), meter);
  const { agentJobs, planAgentJobsPass } = composeAgentJobs({ config, clock, logger, queue: agentQueues, metadata, sequencers, clusterContexts, live: stores.live, cursors });
  const lifecycle = clusterLifecycle({
    home: metadataHome({ db, table: tables.metadata, clock, leaseMs: config.sequencer.leaseMs, unload: (tenantId, clusterId) => metadata.dropCluster(tenantId, clusterId) }),
    clusters: stores.clusters,
    tenants: stores.tenants,
    audit,
    clock,
    logger,
    onDeleted: [
      (tenantId, clusterId) => fleet.forgetCluster(tenantId, clusterId),
      (_tenantId, clusterId) => revocations.revoke('cluster', clusterId),
    ],
  });

  const trustRules = trustRulesService({ rules: stores.trustRules, clusters: stores.clusters, revocations, clock, cursors });
  const hygiene = keyHygiene({
    tenants: stores.tenants,
    clusters: stores.clusters,
    apiKeys: stores.apiKeys,
    agentKeys: stores.agentKeys,
    audit,
    peppers: pepperSet,
    clock,
    signingKeyPepper: () => signingKeyPepper({ store: stores.signingKeys, currentKek: deriveKey(pepper, 'signing-keys') }),
  });
  const sts = stsCallerIdentity({ endpoints: config.identity.stsEndpoints, region: config.awsRegion });
  const rollUpUsage = usageRollup({
    store: usage,
    clock,
    logger: logger.child({ component: 'usage' }),
    // Priced with the cluster's tier (deleted clusters stay readable for 30 days), else the plan's.
    tierOf: async (tenantId, clusterId) => (await stores.clusters.get(tenantId, clusterId))?.tier ?? (await stores.tenants.get(tenantId))?.tier ?? 'dev',
  });

  const services = {
    tenants,
    apiKeys,
    clusters,
    audit,
    idempotency: idempotencyService({ store: stores.idempotency, clock, sealKey: peppers.map((p) => deriveKey(p, 'idempotency-replays')) }),
    adminVerifier: adminVerifier({
      issuer: config.admin.issuer,
      audience: config.admin.audience,
      local: localIssuer,
      jwksUrl: config.admin.jwksUrl,
    }),
    queues: withDeadline(
      {
        counts: async () => [...(await queueOverview(queues).counts()), ...(await agentQueues.counts())],
      },
      redisTimeoutMs,
    ),
    agentJobs,
    agentKeys: agentKeysService({ keys: stores.agentKeys, clusters: stores.clusters, tenants: stores.tenants, tokens, revocations, clock, peppers: pepperSet, cursors }),
    agentTokens: tokens,
    trustRules,
    keyHygiene: hygiene,
    leakedSecrets: leakedSecrets({ apiKeys: stores.apiKeys, agentKeys: stores.agentKeys, peppers: pepperSet, revocations, clock }),
    workloadIdentity: workloadIdentity({
      sts,
      replay: signatureReplayGuard(redis, config.queuePrefix, MAX_SIGNATURE_AGE_MS + MAX_SIGNATURE_LEAD_MS + 60_000),
      clusters: stores.clusters,
      tenants: stores.tenants,
      rules: trustRules,
      tokens,
      audit,
      clock,
      logger,
      endpoints: config.identity.stsEndpoints,
      audience: config.identity.audience,
    }),
    revocations,
    signingKeys,
    fleet,
    metadata,
    clusterAccess: clusterAccess(clusterContexts),
    regions,
    controlPlane: controlPlaneView({ leases: leaseStore(db, tables.metadata), regions, clock }),
    clusterMetadataRate: async (tenantId: string, clusterId: string) => (await clusterContexts.get(tenantId, clusterId))?.limits.metadataRequestsPerSecond,
    usage: usageService({ store: usage, cursors }),
    queueBoard,
    fleetOverview: fleetOverview({ live: stores.live, clusters: stores.clusters, clock, intervalMs: config.agents.heartbeatIntervalMs, recommendedVersion: config.agents.recommendedVersion }),
  };

  const appDeps: AppDeps = {
    config,
    logger,
    redis,
    redisGuard: guard,
    clock,
    services,
    readiness: {
      store: async () => {
        await dynamo.send(new DescribeTableCommand({ TableName: tables.control }));
      },
    },
    // Without Redis the customer and admin APIs keep serving: not a reason to take the
    // process out of a load balancer.
    degradedReadiness: {
      redis: async () => {
        await redis.ping();
      },
    },
  };

  let workers: RunningWorkers | undefined;
  return {
    config,
    clock,
    logger,
    db,
    tvm: data.tvm,
    tables,
    redis,
    queues,
    stores,
    services,
    lifecycle,
    localIssuer,
    appDeps,
    meter,
    usageRollup: rollUpUsage,
    agentQueues,
    planAgentJobs: planAgentJobsPass,
    async startWorkers() {
      // Loaded here, not at import: a process that runs no workers (the Lambda API) never pays for them.
      const { startWorkers } = await import('../workers');
      workers = await startWorkers({
        connection: bullConnection,
        queueKeys: bullKeys,
        queues,
        logger,
        clock,
        clusterLifecycle: lifecycle,
        clusterStore: stores.clusters,
        tenantStore: stores.tenants,
        lifecycleJobs: jobs,
        reclaimLeakedCreates: () => clusters.reclaimLeakedCreates(),
        tenants,
        fleet,
        signingKeys,
        keyHygiene: hygiene,
        usageRollup: rollUpUsage,
        planAgentJobs: planAgentJobsPass,
        schedule: {
          reconcileEveryMs: opts.reconcileEveryMs ?? 30_000,
          livenessEveryMs: opts.livenessEveryMs ?? config.agents.heartbeatIntervalMs,
          signingKeyCheckEveryMs: Math.min(60_000, config.agents.signingKeyRotateEverySeconds * 250),
          signingKeyRotateEveryMs: config.agents.signingKeyRotateEverySeconds * 1000,
          keyExpiryEveryMs: opts.keyExpiryEveryMs ?? 3_600_000,
          usageRollupEveryMs: config.usage.rollupEveryMs,
          agentJobPlanningEveryMs: config.jobs.planEveryMs,
        },
      });
    },
    /** Stops workers first (they finish their current job), then the connections. */
    async close() {
      revocations.stop();
      await workers?.close();
      // What was counted since the last flush is written before leaving.
      await meter.stop();
      // Finishes in-flight metadata writes and hands the leases back for a fast takeover.
      await metadata.close();
      await regions.stop();
      await queues.close();
      await agentJobQueueSet.close();
      sts.close();
      await queueBoard.close();
      bull.close();
      redis.disconnect();
      data.close();
    },
  };
}
export type Runtime = Awaited<ReturnType<typeof compose>>;
