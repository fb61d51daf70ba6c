import { auditStore } from '../services/audit/store';
import { clusterStore } from '../services/clusters/store';
import { apiKeyStore } from '../services/credentials/api-keys-store';
import { idempotencyStore } from '../services/idempotency/store';
import { tenantStore } from '../services/tenants/store';
import { agentKeyStore } from '../services/credentials/agent-keys-store';
import { revocationStore } from '../services/credentials/revocations-store';
import { signingKeyStore } from '../services/credentials/signing-keys-store';
import { liveStore } from '../services/agents/live-store';
import { memberStore } from '../services/agents/members-store';
import { regionStore } from '../services/regions/store';
import { usageStore } from '../services/usage/store';
import { trustRuleStore } from '../services/credentials/trust-rules-store';
import type { Clock } from '../shared/clock';
import type { Db } from '../shared/dynamo';
import type { RedisClient, redisGuard } from '../shared/redis';

/** Every domain's store, on the control table (and Redis for live agent state); the only code touching their items. */
export function composeStores(db: Db, tables: { control: string }, clock: Clock, redis: RedisClient, prefix: string, guard: ReturnType<typeof redisGuard>) {
  return {
    tenants: tenantStore(db, tables.control),
    apiKeys: apiKeyStore(db, tables.control),
    clusters: clusterStore(db, tables.control, clock),
    audit: auditStore(db, tables.control),
    idempotency: idempotencyStore(db, tables.control),
    agentKeys: agentKeyStore(db, tables.control),
    members: memberStore(db, tables.control),
    signingKeys: signingKeyStore(db, tables.control),
    revocations: revocationStore(db, tables.control),
    trustRules: trustRuleStore(db, tables.control),
    usage: usageStore(db, tables.control),
    live: liveStore(redis, prefix, guard),
    regions: regionStore(db, tables.control),
  };
}
