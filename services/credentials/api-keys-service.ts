import type { RequestContext } from '../../shared/actor';
import type { Clock } from '../../shared/clock';
import { isoTime } from '../../shared/clock';
import type { CursorCodec } from '../../shared/cursor';
import { badRequest, conflict, forbidden, notFound, unauthorized } from '../../shared/errors';
import { newId } from '../../shared/ids';
import type { TenantStore } from '../tenants/store';
import type { ApiKey, ApiKeyStore } from './api-keys-store';
import { isApiKeyScope } from './scopes';
import { apiKeyFormat } from './secret-format';
import type { PepperRing } from './peppers';
import { EXPIRY_WARNING_MS } from './key-hygiene';

const MAX_ACTIVE_KEYS = 50;
const MAX_LIFETIME_MS = 2 * 365 * 24 * 3600 * 1000;

export interface ApiKeyView {
  id: string;
  name: string;
  scopes: string[];
  hint: string;
  createdAt: string;
  createdBy: string;
  expiresAt: string | null;
  revokedAt: string | null;
  status: 'active' | 'expired' | 'revoked';
  /** Active and expiring within a week: rotate it (an `api_key.expiring` audit event says so too). */
  expiresSoon: boolean;
}

export interface AuthenticatedKey {
  keyId: string;
  tenantId: string;
  scopes: string[];
}

export function apiKeysService(deps: { keys: ApiKeyStore; tenants: TenantStore; clock: Clock; peppers: PepperRing; cursors: CursorCodec }) {
  const { keys, tenants, clock, peppers, cursors } = deps;

  const view = (k: ApiKey): ApiKeyView => {
    const now = isoTime(clock.now());
    const status = k.revokedAt ? 'revoked' : k.expiresAt && k.expiresAt <= now ? 'expired' : 'active';
    return {
      id: k.id,
      name: k.name,
      scopes: k.scopes,
      hint: apiKeyFormat.hint(k.id),
      createdAt: k.createdAt,
      createdBy: k.createdBy,
      expiresAt: k.expiresAt ?? null,
      revokedAt: k.revokedAt ?? null,
      status,
      expiresSoon: status === 'active' && k.expiresAt !== undefined && k.expiresAt <= isoTime(clock.now() + EXPIRY_WARNING_MS),
    };
  };

  /** Creates a key and returns its secret: the only time the secret is ever visible. */
  async function issue(tenantId: string, createdBy: string, input: { name: string; scopes: string[]; expiresAt?: string }) {
    const now = clock.now();
    const unknown = input.scopes.filter((s) => !isApiKeyScope(s));
    if (unknown.length > 0) throw badRequest('unknown_scope', `Unknown scope(s): ${unknown.join(', ')}.`, { scopes: unknown });
    if (input.expiresAt !== undefined) {
      const at = Date.parse(input.expiresAt);
      if (Number.isNaN(at) || at <= now) throw badRequest('invalid_expiry', 'expiresAt must be a time in the future.');
      if (at - now > MAX_LIFETIME_MS) throw badRequest('invalid_expiry', 'expiresAt may be at most two years ahead.');
    }
    if ((await keys.countActive(tenantId, isoTime(now))) >= MAX_ACTIVE_KEYS) {
      throw conflict('api_key_limit_reached', `A tenant may hold at most ${MAX_ACTIVE_KEYS} active API keys; revoke one first.`);
    }
    const id = newId('apiKey', now);
    const { secret, material } = apiKeyFormat.mint(id);
    const record: ApiKey = {
      id,
      tenantId,
      name: input.name,
      scopes: [...new Set(input.scopes)].sort(),
      ...peppers.hash(material),
      createdAt: isoTime(now),
      createdBy,
      expiresAt: input.expiresAt ? isoTime(Date.parse(input.expiresAt)) : undefined,
    };
    await keys.create(record);
    return { ...view(record), secret };
  }

  /** A key can only grant scopes it holds itself (staff may grant any). */
  function assertCanGrant(ctx: RequestContext, scopes: string[]) {
    if (ctx.actor.kind !== 'api-key') return;
    const mine = new Set(ctx.actor.scopes);
    const beyond = scopes.filter((s) => isApiKeyScope(s) && !mine.has(s));
    if (beyond.length > 0) {
      throw forbidden('scope_escalation', `A key cannot grant scopes it does not hold: ${beyond.join(', ')}.`);
    }
  }

  return {
    issue,

    assertCanGrant,

    async create(ctx: RequestContext, tenantId: string, input: { name: string; scopes: string[]; expiresAt?: string }) {
      assertCanGrant(ctx, input.scopes);
      return issue(tenantId, ctx.actor.id, input);
    },

    async list(tenantId: string, limit: number, cursor?: string) {
      const scope = `T#${tenantId}:api-keys`;
      const page = await keys.list(tenantId, limit, cursors.decode(scope, cursor));
      return { items: page.items.map(view), nextCursor: cursors.encode(scope, page.lastKey) ?? null };
    },

    async revoke(tenantId: string, keyId: string) {
      const k = await keys.revoke(tenantId, keyId, isoTime(clock.now()));
      if (!k) throw notFound('api_key_not_found', `API key ${keyId} does not exist.`);
      return view(k);
    },

    /**
     * Checks a presented secret. The HMAC comparison is constant-time; the tenant's state is
     * read on every call, so revocation and suspension apply to the very next request.
     */
    async authenticate(secret: string): Promise<AuthenticatedKey> {
      const parsed = apiKeyFormat.parse(secret);
      if (parsed === 'malformed') throw unauthorized('malformed_credentials', 'The bearer token is not a Harbormaster API key (hm_sk_…).');
      if (parsed === 'checksum') throw unauthorized('invalid_credentials', 'The API key is not valid.');
      const record = await keys.findById(parsed.id);
      const check = peppers.verify(parsed.material, record);
      if (!record || !check.ok) throw unauthorized('invalid_credentials', 'The API key is not valid.');
      const now = isoTime(clock.now());
      if (record.revokedAt) throw unauthorized('credentials_revoked', 'The API key has been revoked.');
      if (record.expiresAt && record.expiresAt <= now) throw unauthorized('credentials_expired', 'The API key has expired.');
      const tenant = await tenants.get(record.tenantId);
      if (!tenant) throw unauthorized('invalid_credentials', 'The API key is not valid.');
      if (tenant.status === 'suspended') throw forbidden('tenant_suspended', 'The tenant is suspended; contact support.');
      if (tenant.status === 'deleting') throw forbidden('tenant_deleting', 'The tenant is being deleted.');
      // Hashed with an earlier pepper: store it under the current one now that we hold the secret.
      if (check.rehash) await keys.rehash(record.tenantId, record.id, record.secretHash, check.rehash);
      return { keyId: record.id, tenantId: record.tenantId, scopes: record.scopes };
    },
  };
}
export type ApiKeysService = ReturnType<typeof apiKeysService>;
