import createClient, { type Client } from 'openapi-fetch';
import type { components, paths } from './api-types';

/**
 * The typed Harbormaster client: openapi-fetch over the types openapi-typescript generated
 * from the OpenAPI document (infra/client/api-types.ts; `npm run client:generate`). Every
 * path, parameter, body and answer is typed, problem codes included:
 *
 *   const hm = harbormasterClient({ baseUrl: 'http://127.0.0.1:8080', token: process.env.HM_API_KEY });
 *   const clusters = await ok(hm.GET('/v1/clusters', { params: { query: { limit: 10 } } }));
 */
export type { paths, components, operations } from './api-types';
export type Problem = components['schemas']['Problem'];
export type HarbormasterClient = Client<paths>;

export interface ClientOptions {
  /** The server, e.g. http://127.0.0.1:8080. */
  baseUrl: string;
  /** An API key (hm_sk_…), admin JWT or agent JWT, sent as a bearer token. */
  token?: string;
  /** Another fetch (tests, proxies). */
  fetch?: typeof globalThis.fetch;
  headers?: Record<string, string>;
}

export function harbormasterClient(o: ClientOptions): HarbormasterClient {
  return createClient<paths>({
    baseUrl: o.baseUrl.replace(/\/$/, ''),
    fetch: o.fetch,
    headers: { ...(o.token ? { authorization: `Bearer ${o.token}` } : {}), ...o.headers },
  });
}

/** A problem document answered by the server, as an Error. */
export class ProblemError extends Error {
  constructor(
    readonly status: number,
    readonly problem: Partial<Problem> & Record<string, unknown>,
  ) {
    super(problem.detail ?? `HTTP ${status}`);
    this.name = 'ProblemError';
  }
  get code(): string | undefined {
    return this.problem.code;
  }
}

/** The answer's data, or a ProblemError for an error answer. */
export async function ok<T>(call: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<T> {
  const { data, error, response } = await call;
  if (response.ok) return data as T;
  const problem = error && typeof error === 'object' ? (error as Problem) : { detail: typeof error === 'string' ? error : undefined };
  throw new ProblemError(response.status, problem as ProblemError['problem']);
}
