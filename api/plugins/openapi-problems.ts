import { STATUS_CODES } from 'node:http';
import type { RouteOptions } from 'fastify';
import { ERROR_CODES, isErrorCode, statusesOf, type ErrorCode } from '../../shared/error-codes';
import { PROBLEM_CODES } from '../schemas/common';

/**
 * The problem responses of one operation: the codes its route names in `problems(...)`, plus
 * the codes every route of its kind can return, which the route need not name (its
 * credentials, its scope or role, its body, query, path and headers, idempotency, limits).
 */
type Pair = readonly [ErrorCode, number];

const at = (status: number, ...codes: ErrorCode[]): Pair[] => codes.map((c) => [c, status] as const);

const BEARER = at(401, 'missing_credentials', 'malformed_credentials');
const JWT = at(401, 'token_expired', 'invalid_token_signature', 'invalid_token_claims', 'invalid_token_type', 'invalid_issuer', 'invalid_audience', 'algorithm_not_allowed', 'unknown_signing_key');

const BY_SECURITY: Record<string, Pair[]> = {
  apiKey: [...BEARER, ...at(401, 'invalid_credentials', 'credentials_expired', 'credentials_revoked'), ...at(403, 'tenant_suspended', 'tenant_deleting')],
  adminJwt: [...BEARER, ...JWT, ...at(403, 'insufficient_role')],
  agentJwt: [...BEARER, ...JWT, ...at(401, 'token_revoked'), ...at(503, 'revocation_state_stale')],
};

const BODY = [...at(400, 'invalid_body', 'unknown_field', 'malformed_json', 'invalid_unicode', 'invalid_content_type'), ...at(413, 'payload_too_large'), ...at(415, 'unsupported_media_type', 'unsupported_content_encoding')];
const IDEMPOTENT = [...at(409, 'idempotency_in_progress', 'idempotency_replay_unavailable'), ...at(422, 'idempotency_key_reused')];

export interface RouteSchemaLike {
  security?: Record<string, unknown>[];
  body?: unknown;
  querystring?: unknown;
  params?: unknown;
  headers?: unknown;
  response?: Record<string, unknown>;
}

/** The codes (with their status) any route like this one can return without naming them. */
export function automaticCodes(route: Pick<RouteOptions, 'url' | 'config'> & { schema?: RouteSchemaLike }): Pair[] {
  const s = route.schema ?? {};
  const config = (route.config ?? {}) as { scope?: string; idempotent?: boolean; agentWrite?: boolean };
  const out: Pair[] = [];
  const schemes = (s.security ?? []).flatMap((r) => Object.keys(r));
  for (const scheme of schemes) out.push(...(BY_SECURITY[scheme] ?? []));
  if (schemes.length > 0) out.push(...at(429, 'rate_limited'), ...at(503, 'store_unavailable'));
  if (schemes.includes('apiKey') && config.scope) out.push(...at(403, 'insufficient_scope'));
  if (schemes.includes('agentJwt') && route.url.includes(':clusterId')) out.push(...at(404, 'cluster_not_found'));
  if (schemes.includes('agentJwt') && config.agentWrite) out.push(...at(403, 'read_only_agent'));
  if (s.body) out.push(...BODY);
  if (s.querystring) out.push(...at(400, 'invalid_query', 'unknown_field'));
  if (s.params) out.push(...at(400, 'invalid_path'));
  if (s.headers) out.push(...at(400, 'invalid_header'));
  if (config.idempotent) out.push(...IDEMPOTENT);
  out.push(...at(503, 'shutting_down'));
  return out;
}

/** The statuses a route documents, each with its codes (named by the route, then automatic). */
export function problemCodesByStatus(route: Pick<RouteOptions, 'url' | 'config'> & { schema?: RouteSchemaLike }): Map<number, ErrorCode[]> {
  const by = new Map<number, ErrorCode[]>();
  const add = (status: number, code?: ErrorCode) => {
    const list = by.get(status) ?? [];
    if (code && !list.includes(code)) list.push(code);
    by.set(status, list);
  };
  for (const [status, schema] of Object.entries(route.schema?.response ?? {})) {
    const n = Number(status);
    if (!(n >= 400)) continue;
    add(n);
    const named = (schema as Record<string, unknown>)[PROBLEM_CODES];
    // Unknown names are kept: the document walk test reports them.
    for (const code of Array.isArray(named) ? named : []) add(n, code as ErrorCode);
  }
  for (const [code, status] of automaticCodes(route)) add(status, code);
  return new Map([...by].sort(([a], [b]) => a - b));
}

/** An example problem document of one code, as the server writes it. */
export function exampleProblem(code: ErrorCode, status: number, typeBase: string) {
  const info = ERROR_CODES[code];
  return {
    type: `${typeBase}/problems/${code}`,
    title: STATUS_CODES[status] ?? 'Error',
    status,
    code,
    detail: info.meaning.replace(/`/g, ''),
    requestId: 'req_5f0c8e1a-2b7d-4c1e-9a3f-6d2b8e4f1a07',
    ...(status === 400 && code.startsWith('invalid_') && code !== 'invalid_request' ? { errors: [{ path: '/name', message: 'must NOT have fewer than 1 characters' }] } : {}),
    ...(status === 429 || status === 503 ? { retryable: true, retryAfterSeconds: 1 } : {}),
  };
}

/** The OpenAPI response object for one status of an operation. */
export function problemResponse(status: number, codes: string[], typeBase: string) {
  const known = codes.filter(isErrorCode);
  const example = known.find((c) => statusesOf(c).includes(status));
  return {
    description: `${STATUS_CODES[status] ?? 'Error'}: ${codes.map((c) => `\`${c}\``).join(', ')}. See ${typeBase}/problems for what each means and what to do.`,
    [PROBLEM_CODES]: codes,
    content: {
      'application/problem+json': {
        schema: {
          allOf: [
            { $ref: '#/components/schemas/Problem' },
            { type: 'object', properties: { status: { type: 'integer', enum: [status] }, code: { type: 'string', enum: codes } }, required: ['status', 'code'] },
          ],
        },
        ...(example ? { example: exampleProblem(example, status, typeBase) } : {}),
      },
    },
  };
}
