import { Type, type TSchema } from 'typebox';
import { ID_PREFIXES, idPattern, type IdKind } from '../../shared/ids';
import { statusesOf, type ErrorCode } from '../../shared/error-codes';

/** An id of one kind; a malformed one fails validation (400) before any lookup. */
export const Id = (kind: IdKind, description?: string) =>
  Type.String({ pattern: idPattern(kind), description: description ?? `A ${kind} id`, examples: [`${ID_PREFIXES[kind]}_01jd4v7m2q8x3k5n6p7r8s9t0a`] });

export const IsoTime = Type.String({ format: 'date-time', examples: ['2026-11-24T18:30:00.000Z'] });

/** RFC 9457 problem details, with our stable `code` and the request id. */
export const Problem = Type.Object(
  {
    type: Type.String({ format: 'uri', description: 'This server\'s reference page for the code: GET /problems/{code}', examples: ['https://harbormaster.example.com/problems/cluster_not_found'] }),
    title: Type.String({ examples: ['Not Found'] }),
    status: Type.Integer({ examples: [404] }),
    detail: Type.String({ examples: ['Cluster vci_01jd4v7m2q8x3k5n6p7r8s9t0a does not exist.'] }),
    code: Type.String({ examples: ['cluster_not_found'] }),
    requestId: Type.String({ examples: ['req_5f0c8e1a-2b7d-4c1e-9a3f-6d2b8e4f1a07'] }),
    errors: Type.Optional(Type.Array(Type.Object({ path: Type.String(), message: Type.String() }))),
  },
  { additionalProperties: true, $id: 'Problem', description: 'An error (application/problem+json)' },
);

/** The schema keyword under which a route's problem response lists its codes (read by plugins/openapi.ts). */
export const PROBLEM_CODES = 'x-problem-codes';

/**
 * A route's error responses, by the codes it can return: `...problems('cluster_not_found',
 * 'cluster_deleting')`. Each code's status comes from shared/error-codes.ts. The codes every
 * route of a kind can return (authentication, validation, idempotency, rate limits, …) are
 * added by plugins/openapi.ts and need not be named. A bare status (the older form) documents
 * that status with only those automatic codes.
 */
export function problems(...items: (ErrorCode | number)[]): Record<number, TSchema> {
  const byStatus = new Map<number, string[]>();
  for (const item of items) {
    for (const status of typeof item === 'number' ? [item] : statusesOf(item)) {
      const codes = byStatus.get(status) ?? [];
      if (typeof item !== 'number') codes.push(item);
      byStatus.set(status, codes);
    }
  }
  const out: Record<number, TSchema> = {};
  for (const [status, codes] of byStatus) out[status] = Type.Ref('Problem', { [PROBLEM_CODES]: codes } as never);
  return out;
}

export const PageQuery = Type.Object(
  {
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 20, description: 'Items per page (1..100)' })),
    cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 2048, description: 'The `nextCursor` of the previous page' })),
  },
  { additionalProperties: false },
);

export const Page = <T extends TSchema>(item: T) =>
  Type.Object({
    items: Type.Array(item),
    nextCursor: Type.Union([Type.String(), Type.Null()], { description: 'Pass as `cursor` for the next page; null on the last page' }),
  });

export const IdempotencyHeaders = Type.Object({
  'idempotency-key': Type.Optional(
    Type.String({ minLength: 1, maxLength: 255, pattern: '^[\\x21-\\x7e]+$', description: 'Makes a create safe to retry: a repeat returns the first answer' }),
  ),
});

export const Name = Type.String({ minLength: 1, maxLength: 128, pattern: '^[^\\x00-\\x1f\\x7f]+$' });

/** What a request that goes through a cluster's metadata sequencer can meet. */
export const SEQUENCER_CODES = ['cluster_not_found', 'cluster_provisioning', 'cluster_deleting', 'not_leader', 'sequencer_busy', 'sequencer_fault', 'node_stopped'] as const satisfies readonly ErrorCode[];
/** What a process that forwards to the cluster's leader (the Lambda API) adds. */
export const FORWARDED_CODES = ['leader_unreachable', 'leader_timeout'] as const satisfies readonly ErrorCode[];
/** Kafka group membership fields, checked by the group coordinator. */
export const GROUP_MEMBER_CODES = ['invalid_group_id', 'invalid_group_instance_id', 'invalid_member_id', 'invalid_generation', 'too_large', 'invalid_request', 'too_many_waiting_requests'] as const satisfies readonly ErrorCode[];
