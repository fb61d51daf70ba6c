import { ok, ProblemError, type HarbormasterClient } from '../../client';
import { arg, int, list, noArgs, opt, print, UsageError, type Ctx } from './context';
import { bytes, keyValues, table, type Column } from './output';

/**
 * The `hm` commands: each resource's verbs, with their usage line (shown by --help and on
 * a usage error) and what they call through the typed client.
 */
export interface Verb {
  usage: string;
  summary: string;
  run(ctx: Ctx): Promise<void>;
}
export interface Resource {
  summary: string;
  verbs: Record<string, Verb>;
}

type Page<T> = { items: T[]; nextCursor: string | null };
const pageOpts = (ctx: Ctx) => ({ limit: int(ctx, 'limit'), cursor: opt(ctx, 'cursor') });
function printPage<T>(ctx: Ctx, page: Page<T>, columns: Column<T>[]) {
  print(ctx, page, () => table(page.items, columns) + (page.nextCursor ? `more: --cursor ${page.nextCursor}\n` : ''));
}
const printItem = (ctx: Ctx, item: object) => print(ctx, item, () => keyValues(item as Record<string, unknown>));
const cluster = (ctx: Ctx) => opt(ctx, 'cluster', true);

/** `KEY=VALUE` options (--bucket, --config). */
function pairs(ctx: Ctx, name: string): [string, string][] {
  return list(ctx, name).map((p) => {
    const i = p.indexOf('=');
    if (i <= 0) throw new UsageError(`--${name} takes KEY=VALUE, not "${p}"`);
    return [p.slice(0, i), p.slice(i + 1)];
  });
}

// ── tenants (admin token) ────────────────────────────────────────────────────────────────
type TenantRow = { id: string; name: string; tier: string; status: string; clusterCount: number; createdAt: string };
const tenantColumns: Column<TenantRow>[] = [['id', (t) => t.id], ['name', (t) => t.name], ['tier', (t) => t.tier], ['status', (t) => t.status], ['clusters', (t) => t.clusterCount], ['created', (t) => t.createdAt]];
const patchTenant = async (ctx: Ctx, body: Record<string, unknown>) => {
  const id = arg(ctx, 'tenantId');
  printItem(ctx, await ok(ctx.admin().PATCH('/admin/v1/tenants/{tenantId}', { params: { path: { tenantId: id } }, body: body as never })));
};

const tenants: Resource = {
  summary: 'Tenants (admin token)',
  verbs: {
    ls: { usage: 'hm tenants ls [--limit N] [--cursor C]', summary: 'List tenants', run: async (ctx) => {
      noArgs(ctx);
      printPage(ctx, await ok(ctx.admin().GET('/admin/v1/tenants', { params: { query: pageOpts(ctx) } })), tenantColumns);
    } },
    get: { usage: 'hm tenants get <tenantId>', summary: 'Show a tenant', run: async (ctx) => {
      printItem(ctx, await ok(ctx.admin().GET('/admin/v1/tenants/{tenantId}', { params: { path: { tenantId: arg(ctx, 'tenantId') } } })));
    } },
    create: { usage: 'hm tenants create --name NAME --tier dev|fundamentals|pro|enterprise', summary: 'Create a tenant and its first API key (secret shown once)', run: async (ctx) => {
      noArgs(ctx);
      const out = await ok(ctx.admin().POST('/admin/v1/tenants', { body: { name: opt(ctx, 'name', true), tier: opt(ctx, 'tier', true) as never } }));
      print(ctx, out, () => keyValues(out.tenant as never) + `\nFirst API key (shown once; store it now):\n${out.apiKey.secret}\n`);
    } },
    update: { usage: 'hm tenants update <tenantId> [--name NAME] [--tier TIER]', summary: 'Rename a tenant or change its plan', run: async (ctx) => {
      const body: Record<string, unknown> = {};
      if (opt(ctx, 'name')) body.name = opt(ctx, 'name');
      if (opt(ctx, 'tier')) body.tier = opt(ctx, 'tier');
      if (Object.keys(body).length === 0) throw new UsageError('give --name and/or --tier');
      await patchTenant(ctx, body);
    } },
    suspend: { usage: 'hm tenants suspend <tenantId>', summary: 'Suspend a tenant (its keys and agents are refused)', run: (ctx) => patchTenant(ctx, { status: 'suspended' }) },
    reactivate: { usage: 'hm tenants reactivate <tenantId>', summary: 'Reactivate a suspended tenant', run: (ctx) => patchTenant(ctx, { status: 'active' }) },
    delete: { usage: 'hm tenants delete <tenantId>', summary: 'Delete a tenant (refused while it has clusters)', run: async (ctx) => {
      printItem(ctx, await ok(ctx.admin().DELETE('/admin/v1/tenants/{tenantId}', { params: { path: { tenantId: arg(ctx, 'tenantId') } } })));
    } },
  },
};

// ── clusters (API key; `ls` with only an admin token lists every tenant's) ─────────────────
type ClusterRow = { id: string; tenantId: string; name: string; tier: string; status: string; regions: string[]; createdAt: string };
const clusterColumns: Column<ClusterRow>[] = [['id', (c) => c.id], ['name', (c) => c.name], ['tier', (c) => c.tier], ['status', (c) => c.status], ['regions', (c) => c.regions], ['created', (c) => c.createdAt]];
const hasApiKey = (ctx: Ctx) => Boolean(ctx.env.HM_API_KEY || ctx.config.apiKey);

const clusters: Resource = {
  summary: 'Virtual clusters (API key)',
  verbs: {
    ls: { usage: 'hm clusters ls [--include-deleted] [--limit N] [--cursor C]', summary: 'List clusters (with only an admin token: every tenant\'s)', run: async (ctx) => {
      noArgs(ctx);
      if (!hasApiKey(ctx) && (ctx.env.HM_ADMIN_TOKEN || ctx.config.adminToken)) {
        const page = await ok(ctx.admin().GET('/admin/v1/clusters', { params: { query: pageOpts(ctx) } }));
        return printPage(ctx, page, [['tenant', (c) => c.tenantId], ...clusterColumns]);
      }
      const page = await ok(ctx.customer().GET('/v1/clusters', { params: { query: { ...pageOpts(ctx), includeDeleted: ctx.opts['include-deleted'] === true } } }));
      printPage(ctx, page, clusterColumns);
    } },
    get: { usage: 'hm clusters get <clusterId>', summary: 'Show a cluster', run: async (ctx) => {
      printItem(ctx, await ok(ctx.customer().GET('/v1/clusters/{clusterId}', { params: { path: { clusterId: arg(ctx, 'clusterId') } } })));
    } },
    create: {
      usage: 'hm clusters create --name NAME --region REGION --bucket REGION=URL [--region … --bucket …] [--tier TIER] [--write-quorum N] [--deletion-protection]',
      summary: 'Create a cluster (provisioning continues in the background)',
      run: async (ctx) => {
        noArgs(ctx);
        const regions = list(ctx, 'region');
        if (regions.length === 0) throw new UsageError('give at least one --region');
        const buckets = pairs(ctx, 'bucket').map(([region, url]) => ({ region, url }));
        if (buckets.length === 0) throw new UsageError('give a --bucket REGION=URL for each region');
        const body = {
          name: opt(ctx, 'name', true),
          regions,
          storage: { buckets, writeQuorum: int(ctx, 'write-quorum') ?? (regions.length >= 3 ? 2 : 1) },
          ...(opt(ctx, 'tier') ? { tier: opt(ctx, 'tier') as never } : {}),
          ...(ctx.opts['deletion-protection'] === true ? { deletionProtection: true } : {}),
        };
        printItem(ctx, await ok(ctx.customer().POST('/v1/clusters', { body })));
      },
    },
    delete: { usage: 'hm clusters delete <clusterId>', summary: 'Delete a cluster (refused while deletion protection is on)', run: async (ctx) => {
      printItem(ctx, await ok(ctx.customer().DELETE('/v1/clusters/{clusterId}', { params: { path: { clusterId: arg(ctx, 'clusterId') } } })));
    } },
  },
};

// ── topics ────────────────────────────────────────────────────────────────────────────────
type TopicRow = { name: string; partitions: number; config: Record<string, unknown>; createdAt: string };
const topicColumns: Column<TopicRow>[] = [['name', (t) => t.name], ['partitions', (t) => t.partitions], ['retention.ms', (t) => t.config['retention.ms']], ['retention.bytes', (t) => t.config['retention.bytes']], ['created', (t) => t.createdAt]];
type PartitionRow = { partition: number; logStartOffset: number; highWatermark: number; bytes: number };
/** A topic's fields, then its partitions as a table. */
function printTopic(ctx: Ctx, t: object) {
  print(ctx, t, () => {
    const { partitionDetails, ...rest } = t as { partitionDetails?: PartitionRow[] };
    const parts = partitionDetails ?? [];
    return keyValues(rest) + '\n' + table(parts, [['partition', (p) => p.partition], ['log start', (p) => p.logStartOffset], ['high watermark', (p) => p.highWatermark], ['bytes', (p) => bytes(p.bytes)]]);
  });
}

const topics: Resource = {
  summary: 'Topics of a cluster (API key)',
  verbs: {
    ls: { usage: 'hm topics ls --cluster <clusterId>', summary: 'List topics', run: async (ctx) => {
      noArgs(ctx);
      const out = await ok(ctx.customer().GET('/v1/clusters/{clusterId}/topics', { params: { path: { clusterId: cluster(ctx) } } }));
      print(ctx, out, () => table(out.items as TopicRow[], topicColumns));
    } },
    get: { usage: 'hm topics get <topic> --cluster <clusterId>', summary: 'Describe a topic (per partition offsets and bytes)', run: async (ctx) => {
      printTopic(ctx, await ok(ctx.customer().GET('/v1/clusters/{clusterId}/topics/{topic}', { params: { path: { clusterId: cluster(ctx), topic: arg(ctx, 'topic') } } })));
    } },
    create: { usage: 'hm topics create <topic> --cluster <clusterId> --partitions N [--config retention.ms=… …]', summary: 'Create a topic', run: async (ctx) => {
      const config = Object.fromEntries(pairs(ctx, 'config'));
      const body = { name: arg(ctx, 'topic'), partitions: int(ctx, 'partitions', true), ...(Object.keys(config).length ? { config } : {}) };
      printTopic(ctx, await ok(ctx.customer().POST('/v1/clusters/{clusterId}/topics', { params: { path: { clusterId: cluster(ctx) } }, body: body as never })));
    } },
    delete: { usage: 'hm topics delete <topic> --cluster <clusterId>', summary: 'Delete a topic', run: async (ctx) => {
      printItem(ctx, await ok(ctx.customer().DELETE('/v1/clusters/{clusterId}/topics/{topic}', { params: { path: { clusterId: cluster(ctx), topic: arg(ctx, 'topic') } } })));
    } },
  },
};

// ── agent keys, agents, jobs ─────────────────────────────────────────────────────────────
type AgentKeyRow = { id: string; name: string; access: string; status: string; hint: string; createdAt: string };
const agentKeys: Resource = {
  summary: 'Agent keys of a cluster (API key)',
  verbs: {
    ls: { usage: 'hm agent-keys ls --cluster <clusterId> [--limit N] [--cursor C]', summary: 'List agent keys', run: async (ctx) => {
      noArgs(ctx);
      const page = await ok(ctx.customer().GET('/v1/clusters/{clusterId}/agent-keys', { params: { path: { clusterId: cluster(ctx) }, query: pageOpts(ctx) } }));
      printPage(ctx, page as Page<AgentKeyRow>, [['id', (k) => k.id], ['name', (k) => k.name], ['access', (k) => k.access], ['status', (k) => k.status], ['created', (k) => k.createdAt]]);
    } },
    create: { usage: 'hm agent-keys create --cluster <clusterId> --name NAME [--access read-write|read-only]', summary: 'Create an agent key (secret shown once)', run: async (ctx) => {
      noArgs(ctx);
      const body = { name: opt(ctx, 'name', true), access: (opt(ctx, 'access') ?? 'read-write') as never };
      const key = await ok(ctx.customer().POST('/v1/clusters/{clusterId}/agent-keys', { params: { path: { clusterId: cluster(ctx) } }, body }));
      print(ctx, key, () => {
        const { secret, ...rest } = key as typeof key & { secret: string };
        return keyValues(rest) + `\nAgent key (shown once; give it to the agent now):\n${secret}\n`;
      });
    } },
    delete: { usage: 'hm agent-keys delete <agentKeyId> --cluster <clusterId>', summary: 'Revoke an agent key', run: async (ctx) => {
      printItem(ctx, await ok(ctx.customer().DELETE('/v1/clusters/{clusterId}/agent-keys/{agentKeyId}', { params: { path: { clusterId: cluster(ctx), agentKeyId: arg(ctx, 'agentKeyId') } } })));
    } },
  },
};

type AgentRow = { agentId: string; state: string; version: string; zone: string; roles: string[]; lastHeartbeatAt: string | null };
const agents: Resource = {
  summary: 'Agents of a cluster (API key)',
  verbs: {
    ls: { usage: 'hm agents ls --cluster <clusterId> [--limit N] [--cursor C]', summary: 'List agents with their liveness', run: async (ctx) => {
      noArgs(ctx);
      const page = await ok(ctx.customer().GET('/v1/clusters/{clusterId}/agents', { params: { path: { clusterId: cluster(ctx) }, query: pageOpts(ctx) } }));
      printPage(ctx, page as Page<AgentRow>, [['agent', (a) => a.agentId], ['state', (a) => a.state], ['version', (a) => a.version], ['zone', (a) => a.zone], ['roles', (a) => a.roles], ['last beat', (a) => a.lastHeartbeatAt]]);
    } },
  },
};

type JobRow = { id: string; type: string; state: string; attempts: number; maxAttempts: number; agentId: string | null; createdAt: string; error: string | null };
const jobs: Resource = {
  summary: 'Jobs the control plane planned for a cluster\'s agents: compaction, deletion, orphan scans, re-replication (API key)',
  verbs: {
    ls: { usage: 'hm jobs ls --cluster <clusterId> [--state waiting|active|completed|failed|delayed] [--limit N] [--cursor C]', summary: 'List the cluster\'s jobs', run: async (ctx) => {
      noArgs(ctx);
      const state = opt(ctx, 'state') as never;
      const page = await ok(ctx.customer().GET('/v1/clusters/{clusterId}/jobs', { params: { path: { clusterId: cluster(ctx) }, query: { ...pageOpts(ctx), ...(state ? { state } : {}) } } }));
      printPage(ctx, page as Page<JobRow>, [['id', (j) => j.id], ['type', (j) => j.type], ['state', (j) => j.state], ['attempts', (j) => `${j.attempts}/${j.maxAttempts}`], ['agent', (j) => j.agentId], ['created', (j) => j.createdAt], ['error', (j) => j.error]]);
    } },
  },
};

// ── usage ────────────────────────────────────────────────────────────────────────────────
type UsageRow = { clusterId: string; tenantId: string; periodStart: string; bytesWritten: number; recordsWritten: number; storageBytes: number; agentHours: number; cost: { totalMicroUsd: number } };
const isoDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const usage: Resource = {
  summary: 'Metered usage and its price (API key; with only an admin token, every tenant\'s)',
  verbs: {
    ls: {
      usage: 'hm usage ls [--from DATE] [--to DATE] [--granularity hour|day] [--cluster <clusterId>] [--tenant <tenantId> (admin)] [--csv]',
      summary: 'Usage per cluster and day (default: the last 7 days)',
      run: async (ctx) => {
        noArgs(ctx);
        const now = Date.now();
        const query = {
          from: opt(ctx, 'from') ?? isoDay(now - 7 * 86_400_000),
          to: opt(ctx, 'to') ?? isoDay(now + 86_400_000),
          granularity: (opt(ctx, 'granularity') ?? 'day') as 'hour' | 'day',
          ...(opt(ctx, 'cluster') ? { clusterId: opt(ctx, 'cluster') } : {}),
          ...pageOpts(ctx),
          ...(ctx.opts.csv === true ? { format: 'csv' as const } : {}),
        };
        const adminOnly = !hasApiKey(ctx) && Boolean(ctx.env.HM_ADMIN_TOKEN || ctx.config.adminToken);
        if (!adminOnly && opt(ctx, 'tenant')) throw new UsageError('--tenant needs an admin token (and no API key)');
        const client: HarbormasterClient = adminOnly ? ctx.admin() : ctx.customer();
        const path = adminOnly ? '/admin/v1/usage' : '/v1/usage';
        const q = adminOnly && opt(ctx, 'tenant') ? { ...query, tenantId: opt(ctx, 'tenant') } : query;
        if (ctx.opts.csv === true) {
          const { data, error, response } = await client.GET(path as '/v1/usage', { params: { query: q as never }, parseAs: 'text' });
          if (!response.ok) await ok(Promise.resolve({ error, response }));
          return ctx.out(String(data));
        }
        const page = await ok(client.GET(path as '/v1/usage', { params: { query: q as never } }));
        printPage(ctx, page as Page<UsageRow>, [
          ...(adminOnly ? ([['tenant', (u) => u.tenantId]] as Column<UsageRow>[]) : []),
          ['cluster', (u) => u.clusterId], ['period', (u) => u.periodStart], ['written', (u) => bytes(u.bytesWritten)], ['records', (u) => u.recordsWritten],
          ['storage', (u) => bytes(u.storageBytes)], ['agent-hours', (u) => u.agentHours], ['cost USD', (u) => (u.cost.totalMicroUsd / 1e6).toFixed(4)],
        ]);
      },
    },
  },
};
export const RESOURCES: Record<string, Resource> = { tenants, clusters, topics, 'agent-keys': agentKeys, agents, jobs, usage };
