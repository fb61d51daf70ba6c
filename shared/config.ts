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
  awsRegion: string;
  tablePrefix: string;
  /** Unset: a private redis-server child under `dataDir`. */
  redisUrl?: string;
  queuePrefix: string;
  /** Unset outside production: generated once and kept under `dataDir`. */
  apiKeyPepper?: string;
  publicUrl: string;
  admin: { jwksUrl?: string; issuer: string; audience: string };
  bodyLimitBytes: number;
  rateLimitPerMinute: number;
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
  };
  sequencer: {
    /** How other nodes tell a client where this node is (host:port or URL); default HM_PUBLIC_URL. */
    advertisedAddress: string;
    leaseMs: number;
    snapshotEveryEntries: number;
    snapshotEveryMs: number;
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
  const apiKeyPepper = str(env, 'HM_API_KEY_PEPPER');
  if (apiKeyPepper !== undefined && apiKeyPepper.length < 32) {
    throw new ConfigError('HM_API_KEY_PEPPER must be at least 32 characters');
  }
  if (nodeEnv === 'production' && apiKeyPepper === undefined) {
    throw new ConfigError('HM_API_KEY_PEPPER is required when NODE_ENV=production');
  }
  if (nodeEnv === 'production' && str(env, 'REDIS_URL') === undefined) {
    throw new ConfigError('REDIS_URL is required when NODE_ENV=production');
  }
  const tablePrefix = str(env, 'HM_TABLE_PREFIX', 'hm-')!;
  if (!/^[A-Za-z0-9_.-]{0,200}$/.test(tablePrefix)) {
    throw new ConfigError('HM_TABLE_PREFIX may hold only letters, digits, "_", "." and "-"');
  }
  const queuePrefix = str(env, 'HM_QUEUE_PREFIX', 'hm')!;
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(queuePrefix)) {
    throw new ConfigError('HM_QUEUE_PREFIX may hold only letters, digits, "_" and "-" (1..64)');
  }
  const jwksUrl = url(env, 'HM_ADMIN_JWKS_URL', ['https:', 'http:']);
  const publicUrl = url(env, 'HM_PUBLIC_URL', ['https:', 'http:'], `http://${host}:${port}`)!;
  return {
    env: nodeEnv,
    role: oneOf(env, 'HM_ROLE', ['all', 'api', 'workers'] as const, 'all'),
    host,
    port,
    dataDir: path.resolve(str(env, 'HM_DATA_DIR', '.data')!),
    logLevel: oneOf(env, 'LOG_LEVEL', ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const, 'info'),
    dynamodbEndpoint: url(env, 'DYNAMODB_ENDPOINT', ['http:', 'https:']),
    awsRegion: str(env, 'AWS_REGION', 'us-east-1')!,
    tablePrefix,
    redisUrl: url(env, 'REDIS_URL', ['redis:', 'rediss:']),
    queuePrefix,
    apiKeyPepper,
    publicUrl: publicUrl.replace(/\/$/, ''),
    admin: {
      jwksUrl,
      issuer: str(env, 'HM_ADMIN_ISSUER', jwksUrl ? undefined : 'harbormaster-local') ??
        fail('HM_ADMIN_ISSUER is required when HM_ADMIN_JWKS_URL is set'),
      audience: str(env, 'HM_ADMIN_AUDIENCE', 'admin')!,
    },
    bodyLimitBytes: int(env, 'HM_BODY_LIMIT_BYTES', 1024 * 1024, 1024, 16 * 1024 * 1024),
    rateLimitPerMinute: int(env, 'HM_RATE_LIMIT_PER_MINUTE', 6000, 1, 10_000_000),
    shutdownGraceMs: int(env, 'HM_SHUTDOWN_GRACE_MS', 10_000, 0, 600_000),
    agents: {
      tokenTtlSeconds: int(env, 'HM_AGENT_TOKEN_TTL_S', 600, 60, 900),
      heartbeatIntervalMs: int(env, 'HM_HEARTBEAT_INTERVAL_MS', 5000, 100, 300_000),
      signingKeyRotateEverySeconds: int(env, 'HM_SIGNING_KEY_ROTATE_EVERY_S', 86_400, 60, 90 * 86_400),
      recommendedVersion: semver(env, 'HM_AGENT_RECOMMENDED_VERSION'),
      revocationPollMs: int(env, 'HM_REVOCATION_POLL_MS', 1000, 100, 4000),
    },
    sequencer: {
      advertisedAddress: str(env, 'HM_ADVERTISED_ADDRESS', publicUrl.replace(/\/$/, ''))!,
      leaseMs: int(env, 'HM_LEASE_MS', 10_000, 1000, 600_000),
      snapshotEveryEntries: int(env, 'HM_SNAPSHOT_EVERY_ENTRIES', 1000, 10, 1_000_000),
      snapshotEveryMs: int(env, 'HM_SNAPSHOT_EVERY_MS', 60_000, 1000, 86_400_000),
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

function semver(env: Env, name: string): string | undefined {
  const raw = str(env, name);
  if (raw !== undefined && !/^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/.test(raw)) throw new ConfigError(`${name}=${raw} is not a version like 1.4.2`);
  return raw;
}

function fail(message: string): never {
  throw new ConfigError(message);
}
