import { createRequire } from 'node:module';

type AttributeValue = Record<string, unknown>;
interface QueryData {
  KeyConditions?: Record<string, { AttributeValueList?: AttributeValue[] }>;
}
interface Validation {
  custom?: (data: QueryData, store: unknown) => string | undefined;
}

let applied = false;

/**
 * DynamoDB refuses an empty string or binary as a key value in a Query's key condition (a
 * ValidationException); dynalite 4 lets it through and matches as if the bound were absent,
 * so code that builds such a bound (an empty "since", say) passed every test here and failed
 * on AWS (found by the DynamoDB Local run). The embedded engine refuses it too, so the normal
 * suite catches it. Applied once, before the first store opens (see startDynalite).
 */
export function makeDynaliteStricter(): void {
  if (applied) return;
  applied = true;
  const fromDynalite = createRequire(createRequire(import.meta.url).resolve('dynalite'));
  const query = fromDynalite('./validations/query.js') as Validation;
  const original = query.custom;
  query.custom = (data, store) => {
    const msg = original?.(data, store);
    if (msg) return msg;
    // dynalite has turned a KeyConditionExpression into KeyConditions by now.
    for (const [attr, cond] of Object.entries(data.KeyConditions ?? {})) {
      for (const v of cond.AttributeValueList ?? []) {
        if (v.S === '' || v.B === '') {
          return `One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty ${v.S === '' ? 'string' : 'binary'} value. Key: ${attr}`;
        }
      }
    }
    return undefined;
  };
}
