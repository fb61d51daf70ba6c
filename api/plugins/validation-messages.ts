/** One failed check as Ajv reports it (the fields of Fastify's validation errors we read). */
export interface ValidationIssue {
  keyword: string;
  instancePath: string;
  schemaPath: string;
  params: Record<string, unknown>;
  message?: string;
}

const quoted = (values: unknown[]) => values.map((v) => JSON.stringify(v)).join(', ');

/**
 * Turns Ajv's errors into messages a person can act on: an enum or a union of literals says
 * which values are allowed ("must be one of: "active", "suspended""), and a union's
 * alternatives collapse into one line instead of one line each plus "must match a schema in anyOf".
 */
export function describeIssues(issues: readonly ValidationIssue[], prefix = ''): { path: string; message: string }[] {
  const absorbed = new Set<ValidationIssue>();
  const out: { path: string; message: string }[] = [];
  for (const u of issues.filter((i) => i.keyword === 'anyOf')) {
    const alternatives = issues.filter((i) => i !== u && i.instancePath === u.instancePath && i.schemaPath.startsWith(`${u.schemaPath}/`));
    for (const a of alternatives) absorbed.add(a);
  }
  for (const i of issues) {
    if (absorbed.has(i)) continue;
    const path = `${prefix}${i.instancePath}`;
    if (i.keyword === 'anyOf') {
      const alternatives = issues.filter((a) => a !== i && a.instancePath === i.instancePath && a.schemaPath.startsWith(`${i.schemaPath}/`));
      const constants = alternatives.filter((a) => a.keyword === 'const').map((a) => a.params.allowedValue);
      // One part per alternative (`anyOf/<n>/…`): what one alternative lacks is all of its issues.
      const branches = new Map<string, ValidationIssue[]>();
      for (const a of alternatives.filter((x) => x.keyword !== 'const')) {
        const n = a.schemaPath.slice(i.schemaPath.length + 1).split('/')[0];
        branches.set(n, [...(branches.get(n) ?? []), a]);
      }
      const parts = [...(constants.length > 0 ? [`be one of: ${quoted(constants)}`] : []), ...[...branches.values()].map(branchMessage)];
      out.push({ path, message: parts.length > 0 ? `must ${parts.join(', or ')}` : 'is not any of the allowed forms' });
      continue;
    }
    out.push({ path, message: messageOf(i) });
  }
  return out;
}

/** An alternative's issues as one clause without "must": missing fields named together. */
function branchMessage(issues: ValidationIssue[]): string {
  const missing = issues.filter((a) => a.keyword === 'required').map((a) => `'${String(a.params.missingProperty)}'`);
  const rest = issues.filter((a) => a.keyword !== 'required').map((a) => messageOf(a).replace(/^must /, ''));
  const have = missing.length === 0 ? [] : [`have required ${missing.length === 1 ? 'property' : 'properties'} ${missing.join(', ')}`];
  return [...have, ...rest].join(' and ');
}

function messageOf(i: ValidationIssue): string {
  switch (i.keyword) {
    case 'additionalProperties':
      return `unknown field "${String(i.params.additionalProperty)}"`;
    case 'enum':
      return `must be one of: ${quoted(i.params.allowedValues as unknown[])}`;
    case 'const':
      return `must be ${JSON.stringify(i.params.allowedValue)}`;
    default:
      return i.message ?? 'is invalid';
  }
}
