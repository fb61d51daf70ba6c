import { Type, type TSchema } from 'typebox';
import { ID_PREFIXES, idPattern, type IdKind } from '../../shared/ids';

/** An id of one kind; a malformed one fails validation (400) before any lookup. */
export const Id = (kind: IdKind, description?: string) =>
  Type.String({ pattern: idPattern(kind), description: description ?? `A ${kind} id`, examples: [`${ID_PREFIXES[kind]}_01jd4v7m2q8x3k5n6p7r8s9t0a`] });

export const IsoTime = Type.String({ format: 'date-time', examples: ['2026-11-24T18:30:00.000Z'] });

/** RFC 9457 problem details, with our stable `code` and the request id. */
export const Problem = Type.Object(
  {
    type: Type.String({ examples: ['https://docs.harbormaster.dev/problems/cluster_not_found'] }),
    title: Type.String({ examples: ['Not Found'] }),
    status: Type.Integer({ examples: [404] }),
    detail: Type.String({ examples: ['Cluster vci_01jd4v7m2q8x3k5n6p7r8s9t0a does not exist.'] }),
    code: Type.String({ examples: ['cluster_not_found'] }),
    requestId: Type.String({ examples: ['req_01jd4v7m2q8x3k5n6p7r8s9t0a'] }),
    errors: Type.Optional(Type.Array(Type.Object({ path: Type.String(), message: Type.String() }))),
  },
  { additionalProperties: true, $id: 'Problem', description: 'An error (application/problem+json)' },
);

/** Standard error responses for a route; merged into each route's `response`. */
export function problems(...statuses: number[]): Record<number, TSchema> {
  const out: Record<number, TSchema> = {};
  for (const s of statuses) out[s] = Type.Ref('Problem');
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
