import path from 'node:path';
import type { Redis } from 'ioredis';
import type { AppDeps } from '../api/deps';
import { systemClock, type Clock } from '../shared/clock';
import type { Config } from '../shared/config';
import { randomBase62 } from '../shared/crypto';
import { cursorCodec } from '../shared/cursor';
import { Db, createDynamoClient, tableNames } from '../shared/dynamo';
import { createLogger, type Logger } from '../shared/logger';
import { createRedis } from '../shared/redis';
import { readOrCreateSecretFile } from '../shared/secret-files';
import { auditService } from '../services/audit/service';
import { auditStore } from '../services/audit/store';
import { clusterLifecycle } from '../services/clusters/lifecycle';
import { clustersService } from '../services/clusters/service';
import { clusterStore } from '../services/clusters/store';
import { adminVerifier, loadLocalAdminIssuer, type LocalAdminIssuer } from '../services/credentials/admin-tokens';
import { apiKeysService } from '../services/credentials/api-keys-service';
import { apiKeyStore } from '../services/credentials/api-keys-store';
import { idempotencyService } from '../services/idempotency/service';
import { idempotencyStore } from '../services/idempotency/store';
import { tenantsService } from '../services/tenants/service';
import { tenantStore } from '../services/tenants/store';
import type { RunningWorkers } from '../workers';
import { lifecycleProducer, openQueues, queueOverview, queueRegistry } from '../workers/queues';
import { ensureTables } from './local/ensure-tables';
import { deriveKey } from '../shared/crypto';
import { agentKeysService } from '../services/credentials/agent-keys-service';
import { agentKeyStore } from '../services/credentials/agent-keys-store';
import { agentTokens } from '../services/credentials/agent-tokens';
import { revocations as revocationLog } from '../services/credentials/revocations';
import { revocationStore } from '../services/credentials/revocations-store';
import { signingKeys as signingKeyService } from '../services/credentials/signing-keys';
import { signingKeyStore } from '../services/credentials/signing-keys-store';
import { clusterCache } from '../services/clusters/cluster-cache';
import { fleetService } from '../services/agents/service';
import { fleetOverview } from '../services/agents/overview';
import { liveStore } from '../services/agents/live-store';
import { memberStore } from '../services/agents/members-store';
import { metadataService } from '../services/metadata/service';
import { clusterAccess } from '../services/metadata/cluster-access';
import { metadataHomeStore } from '../services/metadata/home-store';
import os from 'node:os';
import { usageStore } from '../services/usage/store';
import { usageMeter } from '../services/usage/meter';
import { meteredFleet, meteredMetadata } from '../services/usage/hooks';
import { usageService } from '../services/usage/service';
import { usageRollup } from '../services/usage/rollup';
import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';

export interface ComposeOptions {
  config: Config;
  dynamoEndpoint?: string;
  redisUrl: string;
  clock?: Clock;
  logger?: Logger;
  /** Tests pass a fixed pepper; otherwise config or a file under the data directory. */
  pepper?: string;
  reconcileEveryMs?: number;
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
  const dynamo = createDynamoClient({ endpoint: opts.dynamoEndpoint, region: config.awsRegion });
  if (config.createTables) await ensureTables(dynamo, config.tablePrefix);
  const db = new Db(dynamo);
  const tables = tableNames(config.tablePrefix);
  const redis: Redis = createRedis(opts.redisUrl, 'command');
  const bullConnection = { url: opts.redisUrl, maxRetriesPerRequest: null } as const;
  const queues = openQueues(bullConnection, config.queuePrefix);
  const scanKeys = async (pattern: string) => {
    const keys: string[] = [];
    let cursor = '0';
    do {
      const [next, found] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      cursor = next;
      keys.push(...found);
    } while (cursor !== '0');
    return keys;
  };
  const queueBoard = queueRegistry(opts.redisUrl, config.queuePrefix, scanKeys);

  const pepper =
    opts.pepper ?? config.apiKeyPepper ?? readOrCreateSecretFile(path.join(config.dataDir, 'keys', 'api-key-pepper'), () => randomBase62(48));
  const cursors = cursorCodec(pepper);
  const localIssuer: LocalAdminIssuer | undefined = config.admin.jwksUrl
    ? undefined
    : await loadLocalAdminIssuer(config.dataDir, config.admin.issuer, config.admin.audience);

  const stores = {
    tenants: tenantStore(db, tables.control),
    apiKeys: apiKeyStore(db, tables.control),
    clusters: clusterStore(db, tables.control),
    audit: auditStore(db, tables.control),
    idempotency: idempotencyStore(db, tables.control),
    agentKeys: agentKeyStore(db, tables.control),
    members: memberStore(db, tables.control),
    signingKeys: signingKeyStore(db, tables.control),
    revocations: revocationStore(db, tables.control),
    live: liveStore(redis, config.queuePrefix),
  };
  const maxTokenLifetimeMs = config.agents.tokenTtlSeconds * 1000;
  const revocations = revocationLog({ store: stores.revocations, clock, logger, maxTokenLifetimeMs, pollMs: config.agents.revocationPollMs });
  if (opts.pollRevocations !== false) await revocations.start();
  const signingKeys = signingKeyService({ store: stores.signingKeys, clock, kek: deriveKey(pepper, 'signing-keys'), maxTokenLifetimeMs });
  const tokens = agentTokens({ keys: signingKeys, clock, issuer: config.publicUrl, ttlSeconds: config.agents.tokenTtlSeconds });
  const clusterContexts = clusterCache({ clusters: stores.clusters, tenants: stores.tenants, clock });
  const nodeId = `${os.hostname()}-${process.pid}-${randomBase62(6)}`;
  const usage = usageStore(db, tables.control);
  const meter = usageMeter({ store: usage, clock, node: nodeId, heartbeatIntervalMs: config.agents.heartbeatIntervalMs, logger: logger.child({ component: 'usage' }) });
  const sequencers = metadataService({
    db,
    table: tables.metadata,
    clock,
    nodeId,
    advertisedAddress: config.sequencer.advertisedAddress,
    leaseMs: config.sequencer.leaseMs,
    snapshotEveryEntries: config.sequencer.snapshotEveryEntries,
    snapshotEveryMs: config.sequencer.snapshotEveryMs,
    logger: logger.child({ component: 'sequencer' }),
  });
  const metadata = meteredMetadata(sequencers, meter);
  if (opts.meterUsage !== false) meter.start(config.usage.flushEveryMs, () => sequencers.usageSample());
  const jobs = lifecycleProducer(queues);
  const audit = auditService({ store: stores.audit, clock, cursors });
  const apiKeys = apiKeysService({ keys: stores.apiKeys, tenants: stores.tenants, clock, pepper, cursors });
  const clusters = clustersService({ clusters: stores.clusters, tenants: stores.tenants, jobs, clock, cursors, logger });
  const tenants = tenantsService({ tenants: stores.tenants, clusters: stores.clusters, apiKeys, jobs, revocations, clock, cursors });
  const fleet = meteredFleet(fleetService({
    live: stores.live,
    members: stores.members,
    clusters: clusterContexts,
    audit,
    clock,
    cursors,
    intervalMs: config.agents.heartbeatIntervalMs,
    recommendedVersion: config.agents.recommendedVersion,
  }), meter);
  const lifecycle = clusterLifecycle({
    metadataHome: metadataHomeStore(db, tables.metadata),
    clusters: stores.clusters,
    tenants: stores.tenants,
    audit,
    clock,
    logger,
    onDeleted: [
      (tenantId, clusterId) => metadata.dropCluster(tenantId, clusterId),
      (tenantId, clusterId) => fleet.forgetCluster(tenantId, clusterId),
      (_tenantId, clusterId) => revocations.revoke('cluster', clusterId),
    ],
  });

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
    idempotency: idempotencyService({ store: stores.idempotency, clock }),
    adminVerifier: adminVerifier({
      issuer: config.admin.issuer,
      audience: config.admin.audience,
      local: localIssuer,
      jwksUrl: config.admin.jwksUrl,
    }),
    queues: queueOverview(queues),
    agentKeys: agentKeysService({ keys: stores.agentKeys, clusters: stores.clusters, tenants: stores.tenants, tokens, revocations, clock, pepper, cursors }),
    agentTokens: tokens,
    revocations,
    signingKeys,
    fleet,
    metadata,
    clusterAccess: clusterAccess(clusterContexts),
    usage: usageService({ store: usage, cursors }),
    queueBoard,
    fleetOverview: fleetOverview({ live: stores.live, clusters: stores.clusters, clock, intervalMs: config.agents.heartbeatIntervalMs, recommendedVersion: config.agents.recommendedVersion }),
  };

  const appDeps: AppDeps = {
    config,
    logger,
    redis,
    services,
    readiness: {
      store: async () => {
        await dynamo.send(new DescribeTableCommand({ TableName: tables.control }));
      },
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
    async startWorkers() {
      // Loaded here, not at import: a process that runs no workers (the Lambda API) never pays for them.
      const { startWorkers } = await import('../workers');
      workers = await startWorkers({
        connection: bullConnection,
        prefix: config.queuePrefix,
        queues,
        logger,
        clock,
        clusterLifecycle: lifecycle,
        clusterStore: stores.clusters,
        clusterJobs: jobs,
        tenants,
        fleet,
        signingKeys,
        usageRollup: rollUpUsage,
        schedule: {
          reconcileEveryMs: opts.reconcileEveryMs ?? 30_000,
          livenessEveryMs: opts.livenessEveryMs ?? config.agents.heartbeatIntervalMs,
          signingKeyCheckEveryMs: Math.min(600_000, config.agents.signingKeyRotateEverySeconds * 250),
          signingKeyRotateEveryMs: config.agents.signingKeyRotateEverySeconds * 1000,
          usageRollupEveryMs: config.usage.rollupEveryMs,
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
      await queues.close();
      await queueBoard.close();
      redis.disconnect();
      dynamo.destroy();
    },
  };
}
export type Runtime = Awaited<ReturnType<typeof compose>>;
