import type { FastifyRequest } from 'fastify';
import type { RequestContext } from '../shared/actor';
import type { ApiKeyScope } from '../services/credentials/scopes';
import type { AdminRole } from '../services/credentials/admin-tokens';
import type { IdempotencyOutcome } from '../services/idempotency/service';

/** What a route declares about itself in `config`; the plugins act on it. */
export interface RoutePolicy {
  /** Customer routes: the API key scope required. */
  scope?: ApiKeyScope;
  /** Admin routes: the role required (reads default to viewer, writes to admin). */
  adminRole?: AdminRole;
  /** Mutations: the audit action and which path parameter names the target. */
  audit?: { action: string; target: string; idParam?: string };
  /** Creates: honour the Idempotency-Key header. */
  idempotent?: boolean;
  /**
   * The route's own authorisation beyond its scope or role (e.g. "a key can only grant scopes
   * it holds"), run after validation and before any idempotent replay; throws to refuse.
   */
  authorize?: (req: FastifyRequest) => void | Promise<void>;
  /** Agent routes that write metadata or take jobs: refused to read-only agents. */
  agentWrite?: boolean;
  /** Agent routes budgeted on their own (heartbeats, per agent) instead of by the cluster's tier. */
  ownBudget?: boolean;
  /**
   * Agent routes whose requests carry several operations (several files): what one request costs
   * of the cluster's budget, read from the validated body (the check then runs before the
   * handler instead of before parsing). Default one.
   */
  budgetCost?: (req: FastifyRequest) => number;
  /** Hot routes keep out of the per-route latency histogram (fastify-metrics). */
  disableMetrics?: boolean;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** The problem `type` URL prefix: this server's /problems/ reference. */
    problemTypeBase: string;
  }
  interface FastifyContextConfig extends RoutePolicy {}
  interface FastifyRequest {
    ctx: RequestContext | undefined;
    /** Set by handlers whose target is only known once created, or whose tenant is not the caller's. */
    auditTarget: { id?: string; tenantId?: string } | undefined;
    idempotency: Extract<IdempotencyOutcome, { kind: 'proceed' }> | undefined;
    /** True when the answer is an idempotent replay of an earlier request. */
    replayed: boolean;
  }
}
