import path from 'node:path';

/**
 * Configuration is read from the environment once, at start, and validated here; every
 * other module receives the typed result. A bad value stops the process with a message that
 * names the variable and what it accepts.
 */
export interface Config {
  env: 'development' | 'production' | 'test';
  role: 'all' | 'api' | 'workers';
  host: string;
  port: number;
  dataDir: string;
  logLevel: string;
  /** Unset: embedded dynalite under `dataDir`. */
  dynamodbEndpoint?: string;
  /** Where the embedded dynalite runs: in this process, or a child process of its own. */
  embeddedStore: 'in-process' | 'in-process-http' | 'child';
  awsRegion: string;
  tablePrefix: string;
  /** Unset: a private redis-server child under `dataDir`. */
  redisUrl?: string;
  /**
   * REDIS_URL is one endpoint of a Redis Cluster (ElastiCache Serverless): every connection is
   * a cluster client, and queue keys are hash-tagged per queue. Needs REDIS_URL.
   */
  redisCluster: boolean;
  queuePrefix: string;
  /** Unset outside production: generated once and kept under `dataDir`. */
  apiKeyPepper?: string;
  /** Earlier peppers (`HM_API_KEY_PEPPER=current,previous`): hashes made with them still verify. */
  previousApiKeyPeppers: string[];
  publicUrl: string;
  admin: { jwksUrl?: string; issuer: string; audience: string };
  bodyLimitBytes: number;
  rateLimitPerMinute: number;
  /** Budgets that apply before (or instead of) the per-tenant one; see api/plugins/rate-limit.ts. */
  limits: {
    /** Failed authentications per minute, per client address and per presented key id. */
    authFailuresPerMinute: number;
    /** Token exchanges per minute, per client address and per agent key. */
    tokenExchangesPerMinute: number;
    /** Heartbeats one agent may send per heartbeat interval, sustained (a burst of 5× that). */
    heartbeatsPerInterval: number;
  };
  /** Deadline of every Redis call on a request path; past it the call fails (503 or fallback). */
  redisCommandTimeoutMs: number;
  shutdownGraceMs: number;
  /** The agent plane's load balancer, for processes that forward to cluster leaders (the Lambda API). */
  agentPlaneUrl?: string;
  /** Create missing tables on start (default: yes, except in production). */
  createTables: boolean;
  usage: {
    /** How often each process writes its usage counts (and samples storage). */
    flushEveryMs: number;
    /** How often a worker rolls raw counts up into priced hourly and daily items. */
    rollupEveryMs: number;
  };
  /** Write CloudWatch embedded-metric lines (failed jobs, lease takeovers) once a minute. */
  cloudwatchMetrics: boolean;
  agents: {
    tokenTtlSeconds: number;
    heartbeatIntervalMs: number;
    signingKeyRotateEverySeconds: number;
    /** Agents older than this get `upgrade-available`; unset: the newest version seen. */
    recommendedVersion?: string;
    revocationPollMs: number;
    /** Older than this, the revocation view may miss one: agent requests get 503. */
    revocationMaxStalenessMs: number;
  };
  /** The region this node runs in, and how agents reach that region's control plane. */
  region: {
    name: string;
    endpoint: string;
    /** How often the node beats into the region registry. */
    beatEveryMs: number;
    /** p90 of store round trips above which the node counts as unhealthy. */
    storeLatencyBudgetMs: number;
    /** Lease length of multi-region clusters (renewed every quarter of it). */
    leaseMs: number;
    /** A multi-region leader whose last 20 journal appends and lease renewals have a p90 above this steps down. */
    leaderLatencyBudgetMs: number;
    /** How long a better-ranked region must be healthy before leadership returns to it. */
    returnAfterMs: number;
  };
  identity: {
    /** STS endpoints signed GetCallerIdentity requests are forwarded to; nothing else is ever contacted. */
    stsEndpoints: string[];
    /** The `x-harbormaster-audience` value agents must sign (default: the public URL). */
    audience: string;
  };
  /** Token vending machine: unset role = tenant fences enforced in-process only (embedded default). */
  tvm: { roleArn?: string; sessionSeconds: number; cacheSize: number };
  sequencer: {
    /** Stable identity of this node's leases; unset: the data directory's own id. */
    nodeId?: string;
    /** How other nodes tell a client where this node is (host:port or URL); default HM_PUBLIC_URL. */
    advertisedAddress: string;
    leaseMs: number;
    snapshotEveryEntries: number;
    snapshotEveryMs: number;
    /**
     * The most partition keys a new cluster's journal may be striped over (1..16). Set it to 1
     * while any node still runs a version without journal stripes (see the README).
     */
    maxJournalStripes: number;
  };
  /** The log's upkeep and consumer groups (services/metadata/log-settings.ts). */
  log: {
    fileDeleteGraceMs: number;
    maintenanceEveryMs: number;
    groups: { minSessionTimeoutMs: number; maxSessionTimeoutMs: number; initialRebalanceDelayMs: number; maxWaitMs: number; maxGroupSize: number; maxWaiting: number };
  };
  /** Agent jobs (services/jobs): leases, attempts and the planners' bounds. */
  jobs: {
    leaseMs: number;
    maxAttempts: number;
    backoffMs: number;
    planEveryMs: number;
    maxDeleteFilesPerPass: number;
    compactionSmallFileBytes: number;
    compactionMinFiles: number;
    orphanScanEveryMs: number;
    orphanGraceMs: number;
    /** Ended jobs each cluster's queue keeps for the views (the newest `count`, none older than `ageMs`). */
    keepCompleted: { count: number; ageMs: number };
    keepFailed: { count: number; ageMs: number };
    /** A work item whose last job failed is planned again only this long after that failure. */
    replanAfterFailureMs: number;
  };
}

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

function str(env: Env, name: string, fallback?: string): string | undefined {
  const v = env[name];
  if (v === undefined || v.trim() === '') return fallback;
  return v.trim();
}

function int(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = str(env, name);
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw)) throw new ConfigError(`${name}=${raw} is not a whole number (expected ${min}..${max})`);
  const n = Number(raw);
  if (n < min || n > max) throw new ConfigError(`${name}=${raw} is out of range (expected ${min}..${max})`);
  return n;
}

function oneOf<T extends string>(env: Env, name: string, allowed: readonly T[], fallback: T): T {
  const raw = str(env, name, fallback)!;
  if (!allowed.includes(raw as T)) {
    throw new ConfigError(`${name}=${raw} is not one of ${allowed.join(', ')}`);
  }
  return raw as T;
}

function url(env: Env, name: string, protocols: string[], fallback?: string): string | undefined {
  const raw = str(env, name, fallback);
  if (raw === undefined) return undefined;
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    throw new ConfigError(`${name} is not a valid URL`);
  }
  if (!protocols.includes(parsed.protocol)) {
    throw new ConfigError(`${name} must use ${protocols.join(' or ')} (got ${parsed.protocol})`);
  }
  return raw;
}

export function loadConfig(env: Env = process.env): Config {
  const nodeEnv = oneOf(env, 'NODE_ENV', ['development', 'production', 'test'] as const, 'development');
  const port = int(env, 'PORT', 8080, 0, 65535);
  const host = str(env, 'HOST', '127.0.0.1')!;
  const peppers = str(env, 'HM_API_KEY_PEPPER')?.split(',').map((p) => p.trim());
  const apiKeyPepper = peppers?.[0];
  if (peppers && peppers.some((p) => p.length < 32)) {
    throw new ConfigError('HM_API_KEY_PEPPER must be at least 32 characters (each of current,previous)');
  }
  if (peppers && peppers.length > 3) throw new ConfigError('HM_API_KEY_PEPPER holds at most three peppers: current,previous[,older]');
  if (nodeEnv === 'production' && apiKeyPepper === undefined) {
    throw new ConfigError('HM_API_KEY_PEPPER is required when NODE_ENV=production');
  }
  if (nodeEnv === 'production' && str(env, 'REDIS_URL') === undefined) {
    throw new ConfigError('REDIS_URL is required when NODE_ENV=production');
  }
  const redisCluster = oneOf(env, 'HM_REDIS_CLUSTER', ['true', 'false'] as const, 'false') === 'true';
  if (redisCluster && str(env, 'REDIS_URL') === undefined) {
    // The embedded redis-server is a single node.
    throw new ConfigError('HM_REDIS_CLUSTER=true needs REDIS_URL (an endpoint of the cluster)');
  }
  const tablePrefix = str(env, 'HM_TABLE_PREFIX', 'hm-')!;
  if (!/^[A-Za-z0-9_.-]{0,200}$/.test(tablePrefix)) {
    throw new ConfigError('HM_TABLE_PREFIX may hold only letters, digits, "_", "." and "-"');
  }
  const queuePrefix = str(env, 'HM_QUEUE_PREFIX', 'hm')!;
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(queuePrefix)) {
    throw new ConfigError('HM_QUEUE_PREFIX may hold only letters, digits, "_" and "-" (1..64)');
  }
  // In production admin tokens come from the vendor IdP only, and its keys only over TLS: a
  // local file issuer or a JWKS fetched in the clear would let anyone on the path mint admins.
  const jwksUrl = url(env, 'HM_ADMIN_JWKS_URL', nodeEnv === 'production' ? ['https:'] : ['https:', 'http:']);
  if (nodeEnv === 'production' && jwksUrl === undefined) {
    throw new ConfigError('HM_ADMIN_JWKS_URL is required when NODE_ENV=production (the local admin issuer is for development only)');
  }
  const revocationPollMs = int(env, 'HM_REVOCATION_POLL_MS', 1000, 100, 4000);
  const revocationMaxStalenessMs = int(env, 'HM_REVOCATION_MAX_STALENESS_MS', 5 * revocationPollMs, 200, 600_000);
  if (revocationMaxStalenessMs < 2 * revocationPollMs) {
    throw new ConfigError(`HM_REVOCATION_MAX_STALENESS_MS=${revocationMaxStalenessMs} must be at least twice HM_REVOCATION_POLL_MS (${revocationPollMs})`);
  }
  const publicUrl = url(env, 'HM_PUBLIC_URL', ['https:', 'http:'], `http://${host}:${port}`)!;
  return {
    env: nodeEnv,
    role: oneOf(env, 'HM_ROLE', ['all', 'api', 'workers'] as const, 'all'),
    host,
    port,
    dataDir: path.resolve(str(env, 'HM_DATA_DIR', '.data')!),
    logLevel: oneOf(env, 'LOG_LEVEL', ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const, 'info'),
    dynamodbEndpoint: url(env, 'DYNAMODB_ENDPOINT', ['http:', 'https:']),
    embeddedStore: oneOf(env, 'HM_EMBEDDED_STORE', ['in-process', 'in-process-http', 'child'] as const, 'in-process'),
    awsRegion: str(env, 'AWS_REGION', 'us-east-1')!,
    tablePrefix,
    redisUrl: url(env, 'REDIS_URL', ['redis:', 'rediss:']),
    redisCluster,
    queuePrefix,
    apiKeyPepper,
    previousApiKeyPeppers: peppers?.slice(1) ?? [],
    publicUrl: publicUrl.replace(/\/$/, ''),
    admin: {
      jwksUrl,
      issuer: str(env, 'HM_ADMIN_ISSUER', jwksUrl ? undefined : 'harbormaster-local') ??
        fail('HM_ADMIN_ISSUER is required when HM_ADMIN_JWKS_URL is set'),
      audience: str(env, 'HM_ADMIN_AUDIENCE', 'admin')!,
    },
    bodyLimitBytes: int(env, 'HM_BODY_LIMIT_BYTES', 1024 * 1024, 1024, 16 * 1024 * 1024),
    rateLimitPerMinute: int(env, 'HM_RATE_LIMIT_PER_MINUTE', 6000, 1, 10_000_000),
    limits: {
      authFailuresPerMinute: int(env, 'HM_AUTH_FAILURES_PER_MINUTE', 60, 1, 1_000_000),
      tokenExchangesPerMinute: int(env, 'HM_TOKEN_EXCHANGES_PER_MINUTE', 1200, 1, 10_000_000),
      heartbeatsPerInterval: int(env, 'HM_HEARTBEATS_PER_INTERVAL', 2, 1, 1_000_000),
    },
    redisCommandTimeoutMs: int(env, 'HM_REDIS_COMMAND_TIMEOUT_MS', 1000, 50, 60_000),
    shutdownGraceMs: int(env, 'HM_SHUTDOWN_GRACE_MS', 10_000, 0, 600_000),
    agents: {
      tokenTtlSeconds: int(env, 'HM_AGENT_TOKEN_TTL_S', 600, 60, 900),
      heartbeatIntervalMs: int(env, 'HM_HEARTBEAT_INTERVAL_MS', 5000, 100, 300_000),
      signingKeyRotateEverySeconds: int(env, 'HM_SIGNING_KEY_ROTATE_EVERY_S', 86_400, 60, 90 * 86_400),
      recommendedVersion: semver(env, 'HM_AGENT_RECOMMENDED_VERSION'),
      revocationPollMs,
      revocationMaxStalenessMs,
    },
    identity: {
      stsEndpoints: stsEndpoints(env, nodeEnv, str(env, 'AWS_REGION', 'us-east-1')!),
      audience: str(env, 'HM_IDENTITY_AUDIENCE', publicUrl.replace(/\/$/, ''))!,
    },
    tvm: {
      roleArn: roleArn(env, 'HM_TVM_ROLE_ARN'),
      sessionSeconds: int(env, 'HM_TVM_SESSION_S', 3600, 900, 43_200),
      cacheSize: int(env, 'HM_TVM_CACHE_SIZE', 10_000, 10, 1_000_000),
    },
    region: {
      name: regionName(env, 'HM_REGION', str(env, 'AWS_REGION', 'us-east-1')!),
      endpoint: url(env, 'HM_REGION_ENDPOINT', ['https:', 'http:'], publicUrl)!.replace(/\/$/, ''),
      beatEveryMs: int(env, 'HM_REGION_BEAT_MS', 1000, 100, 60_000),
      storeLatencyBudgetMs: int(env, 'HM_STORE_LATENCY_BUDGET_MS', 250, 10, 60_000),
      leaseMs: int(env, 'HM_MULTI_REGION_LEASE_MS', 2000, 1000, 60_000),
      leaderLatencyBudgetMs: int(env, 'HM_LEADER_LATENCY_BUDGET_MS', 400, 10, 60_000),
      returnAfterMs: int(env, 'HM_LEADER_RETURN_AFTER_MS', 5000, 0, 600_000),
    },
    sequencer: {
      nodeId: nodeIdOf(env),
      advertisedAddress: str(env, 'HM_ADVERTISED_ADDRESS', publicUrl.replace(/\/$/, ''))!,
      leaseMs: int(env, 'HM_LEASE_MS', 10_000, 1000, 600_000),
      snapshotEveryEntries: int(env, 'HM_SNAPSHOT_EVERY_ENTRIES', 1000, 10, 1_000_000),
      snapshotEveryMs: int(env, 'HM_SNAPSHOT_EVERY_MS', 60_000, 1000, 86_400_000),
      maxJournalStripes: int(env, 'HM_MAX_JOURNAL_STRIPES', 16, 1, 16),
    },
    log: {
      fileDeleteGraceMs: int(env, 'HM_FILE_DELETE_GRACE_MS', 300_000, 0, 7 * 86_400_000),
      maintenanceEveryMs: int(env, 'HM_MAINTENANCE_EVERY_MS', 30_000, 100, 3_600_000),
      groups: {
        minSessionTimeoutMs: int(env, 'HM_GROUP_MIN_SESSION_TIMEOUT_MS', 6_000, 1, 3_600_000),
        maxSessionTimeoutMs: int(env, 'HM_GROUP_MAX_SESSION_TIMEOUT_MS', 1_800_000, 1, 86_400_000),
        initialRebalanceDelayMs: int(env, 'HM_GROUP_INITIAL_REBALANCE_DELAY_MS', 3_000, 0, 300_000),
        maxWaitMs: int(env, 'HM_GROUP_MAX_WAIT_MS', 30_000, 100, 300_000),
        maxGroupSize: int(env, 'HM_GROUP_MAX_SIZE', 1_000, 1, 100_000),
        maxWaiting: int(env, 'HM_GROUP_MAX_WAITING', 10_000, 1, 1_000_000),
      },
    },
    jobs: {
      leaseMs: int(env, 'HM_JOB_LEASE_MS', 30_000, 1000, 3_600_000),
      maxAttempts: int(env, 'HM_JOB_MAX_ATTEMPTS', 5, 1, 100),
      backoffMs: int(env, 'HM_JOB_BACKOFF_MS', 5_000, 0, 3_600_000),
      planEveryMs: int(env, 'HM_JOB_PLAN_EVERY_MS', 30_000, 100, 3_600_000),
      maxDeleteFilesPerPass: int(env, 'HM_JOB_MAX_DELETE_FILES_PER_PASS', 50_000, 1, 1_000_000),
      compactionSmallFileBytes: int(env, 'HM_COMPACTION_SMALL_FILE_BYTES', 4 * 1024 * 1024, 1, 2 ** 40),
      compactionMinFiles: int(env, 'HM_COMPACTION_MIN_FILES', 4, 2, 100_000),
      orphanScanEveryMs: int(env, 'HM_ORPHAN_SCAN_EVERY_MS', 3_600_000, 100, 7 * 86_400_000),
      orphanGraceMs: int(env, 'HM_ORPHAN_GRACE_MS', 3_600_000, 0, 7 * 86_400_000),
      keepCompleted: { count: int(env, 'HM_JOB_KEEP_COMPLETED', 200, 1, 100_000), ageMs: int(env, 'HM_JOB_KEEP_COMPLETED_MS', 3_600_000, 1000, 30 * 86_400_000) },
      keepFailed: { count: int(env, 'HM_JOB_KEEP_FAILED', 1000, 1, 100_000), ageMs: int(env, 'HM_JOB_KEEP_FAILED_MS', 86_400_000, 1000, 30 * 86_400_000) },
      replanAfterFailureMs: int(env, 'HM_JOB_REPLAN_AFTER_FAILURE_MS', 600_000, 0, 7 * 86_400_000),
    },
    agentPlaneUrl: url(env, 'HM_AGENT_PLANE_URL', ['http:', 'https:'])?.replace(/\/$/, ''),
    usage: {
      flushEveryMs: int(env, 'HM_USAGE_FLUSH_MS', 60_000, 1000, 3_600_000),
      rollupEveryMs: int(env, 'HM_USAGE_ROLLUP_EVERY_MS', 300_000, 1000, 3_600_000),
    },
    cloudwatchMetrics: oneOf(env, 'HM_CLOUDWATCH_METRICS', ['true', 'false'] as const, 'false') === 'true',
    createTables: oneOf(env, 'HM_CREATE_TABLES', ['true', 'false'] as const, nodeEnv === 'production' ? 'false' : 'true') === 'true',
  };
}

function regionName(env: Env, name: string, fallback: string): string {
  const raw = str(env, name, fallback)!;
  if (!/^[a-z0-9-]{2,64}$/.test(raw)) throw new ConfigError(`${name}=${raw} is not a region name like us-east-1`);
  return raw;
}

function semver(env: Env, name: string): string | undefined {
  const raw = str(env, name);
  if (raw !== undefined && !/^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/.test(raw)) throw new ConfigError(`${name}=${raw} is not a version like 1.4.2`);
  return raw;
}

function nodeIdOf(env: Env): string | undefined {
  const raw = str(env, 'HM_NODE_ID');
  if (raw !== undefined && !NODE_ID.test(raw)) throw new ConfigError(`HM_NODE_ID=${raw} may hold only letters, digits, ".", "_", ":" and "-" (1..128)`);
  return raw;
}

/** The shape of a node id (HM_NODE_ID or the data directory's `node-id` file). */
export const NODE_ID = /^[A-Za-z0-9._:-]{1,128}$/;

const STS_HOST = /^(sts(\.[a-z0-9-]+)?\.amazonaws\.com(\.cn)?|vpce-[a-z0-9-]+\.sts\.[a-z0-9-]+\.vpce\.amazonaws\.com)$/;

/** HM_STS_ENDPOINT: one or more (comma-separated) STS endpoints; default the region's own. */
function stsEndpoints(env: Env, nodeEnv: string, region: string): string[] {
  const fallback = `https://sts.${region}.amazonaws.com${region.startsWith('cn-') ? '.cn' : ''}`;
  const list = (str(env, 'HM_STS_ENDPOINT') ?? fallback).split(',').map((e) => e.trim()).filter(Boolean);
  return list.map((raw) => {
    const u = url({ HM_STS_ENDPOINT: raw }, 'HM_STS_ENDPOINT', ['https:', 'http:'])!;
    const parsed = new URL(u);
    if ((parsed.pathname !== '/' && parsed.pathname !== '') || parsed.search || parsed.username) {
      throw new ConfigError(`HM_STS_ENDPOINT=${raw} must be an origin (scheme, host and port only)`);
    }
    if (nodeEnv === 'production' && (parsed.protocol !== 'https:' || !STS_HOST.test(parsed.hostname))) {
      throw new ConfigError(`HM_STS_ENDPOINT=${raw} is not an AWS STS endpoint (https://sts.<region>.amazonaws.com or an STS VPC endpoint)`);
    }
    return parsed.origin;
  });
}

function roleArn(env: Env, name: string): string | undefined {
  const raw = str(env, name);
  if (raw !== undefined && !/^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/.test(raw)) throw new ConfigError(`${name}=${raw} is not an IAM role ARN`);
  return raw;
}

function fail(message: string): never {
  throw new ConfigError(message);
}
