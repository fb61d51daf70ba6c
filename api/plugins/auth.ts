import type { FastifyRequest } from 'fastify';
import { forbidden, notFound, unauthorized } from '../../shared/errors';
import type { AgentTokens } from '../../services/credentials/agent-tokens';
import type { Revocations } from '../../services/credentials/revocations';
import type { ApiKeysService } from '../../services/credentials/api-keys-service';
import type { AdminVerifier } from '../../services/credentials/admin-tokens';

/** The bearer credential of a request; 401 when absent or not a bearer. */
export function bearerToken(req: FastifyRequest): string {
  const header = req.headers.authorization;
  if (!header) throw unauthorized('missing_credentials', 'Send Authorization: Bearer <credential>.');
  const m = /^Bearer ([\x21-\x7e]{1,4096})$/.exec(header);
  if (!m) throw unauthorized('malformed_credentials', 'The Authorization header must be "Bearer <credential>".');
  return m[1];
}

/** onRequest hook for customer routes: API key → tenant context, then the route's scope. */
export function customerAuth(apiKeys: ApiKeysService) {
  return async (req: FastifyRequest) => {
    const key = await apiKeys.authenticate(bearerToken(req));
    req.ctx = { actor: { kind: 'api-key', id: key.keyId, tenantId: key.tenantId, scopes: key.scopes }, requestId: req.id };
    const scope = req.routeOptions.config.scope;
    if (scope && !key.scopes.includes(scope)) {
      throw forbidden('insufficient_scope', `This API key lacks the "${scope}" scope.`);
    }
  };
}

/** onRequest hook for admin routes: admin JWT → staff context, then the route's role. */
export function adminAuth(verifier: AdminVerifier) {
  return async (req: FastifyRequest) => {
    const admin = await verifier.verify(bearerToken(req));
    req.ctx = { actor: { kind: 'admin', id: admin.sub, roles: admin.roles }, requestId: req.id };
    const needed = req.routeOptions.config.adminRole ?? (req.method === 'GET' ? 'viewer' : 'admin');
    // `admin` implies `viewer`.
    if (!admin.roles.includes('admin') && !admin.roles.includes(needed)) {
      throw forbidden('insufficient_role', `This route needs the "${needed}" role.`);
    }
  };
}

/**
 * onRequest hook for agent routes: a verified agent JWT whose credentials have not been
 * revoked (503 while this process cannot tell), used only on its own cluster's paths (another cluster's path is a 404, as if it
 * did not exist), and only for reads when the agent key is read-only.
 */
export function agentAuth(tokens: AgentTokens, revocations: Revocations) {
  return async (req: FastifyRequest) => {
    const claims = await tokens.verify(bearerToken(req));
    revocations.check(claims.issuedAtMs, claims);
    const clusterId = (req.params as { clusterId?: string }).clusterId;
    if (clusterId !== undefined && clusterId !== claims.clusterId) {
      throw notFound('cluster_not_found', `Cluster ${clusterId} does not exist.`);
    }
    if (req.routeOptions.config.agentWrite && claims.access !== 'read-write') {
      throw forbidden('read_only_agent', 'This agent key is read-only.');
    }
    req.ctx = {
      actor: { kind: 'agent', id: claims.subject, tenantId: claims.tenantId, clusterId: claims.clusterId, access: claims.access },
      requestId: req.id,
    };
  };
}

/**
 * preHandler hook: the route's own authorisation (`config.authorize`), once the body is
 * validated. Registered before idempotency, so that no replay skips it.
 */
export async function routeAuthorization(req: FastifyRequest) {
  const authorize = req.routeOptions.config.authorize;
  if (authorize) await authorize(req);
}
