import type { FastifyReply, FastifyRequest } from 'fastify';
import { unavailable } from '../../shared/errors';

/**
 * Hands a customer's topic request to the node that leads the cluster, for a process that must
 * not lead (the Lambda API: no leases, no long-lived state). The request goes on as it came,
 * with the caller's own credential, so the leader authenticates, audits and applies it exactly
 * as if the customer had called it; its answer comes back unchanged. Chosen over queueing the
 * change for the leader because the customer gets the real answer (201, 409, 422...) at once,
 * and the Idempotency-Key keeps a retried request from applying twice.
 *
 * Where to: the address in the cluster's lease when a live one names it; else (no leader yet,
 * or the named one does not answer) the agent plane's load balancer, whose node takes the lease
 * on first use. A node answering 503 `not_leader` that names the leader is followed once.
 */
export interface LeaderForwarder {
  forward(req: FastifyRequest, reply: FastifyReply, tenantId: string, clusterId: string): Promise<FastifyReply>;
}

const PASSED_HEADERS = ['authorization', 'content-type', 'idempotency-key', 'accept'];
const RETURNED_HEADERS = ['content-type', 'idempotency-replayed', 'retry-after'];

export function leaderForwarder(opts: {
  locate: (tenantId: string, clusterId: string) => Promise<string | null>;
  /** The agent plane's (internal) load balancer. */
  fallbackUrl: string;
  timeoutMs?: number;
}): LeaderForwarder {
  const timeoutMs = opts.timeoutMs ?? 10_000;

  async function send(base: string, req: FastifyRequest): Promise<Response> {
    const headers: Record<string, string> = { 'x-request-id': req.id };
    for (const h of PASSED_HEADERS) {
      const v = req.headers[h];
      if (typeof v === 'string') headers[h] = v;
    }
    return fetch(new URL(req.url, asUrl(base)), {
      method: req.method,
      headers,
      // Validated and defaulted by this process's schema; the leader validates it again.
      body: req.body === undefined ? undefined : JSON.stringify(req.body),
      signal: AbortSignal.timeout(timeoutMs),
      redirect: 'manual',
    });
  }

  return {
    async forward(req, reply, tenantId, clusterId) {
      const leader = await opts.locate(tenantId, clusterId);
      const targets = [...new Set([leader, opts.fallbackUrl].filter((t): t is string => !!t))];
      let res: Response | undefined;
      for (let i = 0; i < targets.length && !res; i++) {
        try {
          res = await send(targets[i], req);
        } catch (e) {
          // A request that may have reached the leader is not sent again: a second create
          // would answer 409 for a change that was applied. Connection failures (a leader
          // that just died) and reads move on to the next address.
          if (req.method !== 'GET' && !neverSent(e)) {
            throw unavailable('leader_timeout', 'The node leading this cluster did not answer in time; the change may have been applied. Retry with the same Idempotency-Key.');
          }
        }
      }
      if (!res) throw unavailable('leader_unreachable', 'The node leading this cluster could not be reached; retry shortly.');
      if (res.status === 503) {
        const named = await notLeaderAddress(res.clone());
        if (named && !targets.includes(named)) {
          try {
            res = await send(named, req);
          } catch {
            // Keep the first answer: a retryable 503 naming the leader.
          }
        }
      }
      for (const h of RETURNED_HEADERS) {
        const v = res.headers.get(h);
        if (v !== null) reply.header(h, v);
      }
      return reply.code(res.status).send(Buffer.from(await res.arrayBuffer()));
    },
  };
}

async function notLeaderAddress(res: Response): Promise<string | null> {
  try {
    const body = (await res.json()) as { code?: string; leader?: string | null };
    return body.code === 'not_leader' && typeof body.leader === 'string' ? body.leader : null;
  } catch {
    return null;
  }
}

/** True when fetch failed before the request could have left (no connection was made). */
function neverSent(e: unknown): boolean {
  const code = (e as { cause?: { code?: string } }).cause?.code;
  return code !== undefined && ['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'UND_ERR_CONNECT_TIMEOUT'].includes(code);
}

/** Lease addresses may be `host:port` (HM_ADVERTISED_ADDRESS) or a URL. */
export function asUrl(address: string): string {
  return /^https?:\/\//.test(address) ? address : `http://${address}`;
}
