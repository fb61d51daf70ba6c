/**
 * The operations of the served OpenAPI document, read from its general structure only
 * (paths, methods, parameters, request body schemas, security), so that a route added, or a
 * document that gains operationIds and error responses, is walked without changes here. The
 * fuzz and cross-tenant suites generate their requests from these.
 */
export type Schema = Record<string, any>;
export type Audience = 'public' | 'customer' | 'admin' | 'agent' | 'agent-key';

export interface Param {
  name: string;
  in: 'path' | 'query' | 'header';
  required: boolean;
  schema: Schema;
}

export interface Operation {
  /** `GET /v1/clusters/{clusterId}`: stable, for messages and counts. */
  key: string;
  method: string;
  path: string;
  operationId?: string;
  audience: Audience;
  params: Param[];
  body?: { schema: Schema; required: boolean; contentType: string };
}

const METHODS = ['get', 'put', 'post', 'delete', 'patch'];

/**
 * Who may call a route follows from where it lives (the three audiences never mix); the
 * document's `security` tells the public routes apart. The token exchange takes an agent key.
 */
function audienceOf(path: string, op: Schema, doc: Schema): Audience {
  const security = (op.security ?? doc.security ?? []) as Record<string, unknown>[];
  if (/^\/agent\/v\d+\/token$/.test(path)) return 'agent-key';
  if (path.startsWith('/admin/')) return 'admin';
  if (path.startsWith('/agent/')) return 'agent';
  if (security.length === 0) return 'public';
  if (path.startsWith('/v1/')) return 'customer';
  return 'public';
}

/** Follows local `$ref`s (`#/components/schemas/…`, or any JSON pointer into the document). */
export function deref(doc: Schema, schema: Schema | undefined, depth = 0): Schema {
  let s = schema ?? {};
  while (s && typeof s.$ref === 'string' && depth++ < 32) {
    const parts = s.$ref.replace(/^#\//, '').split('/').map((p: string) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
    s = parts.reduce((node: any, p: string) => node?.[p], doc) ?? {};
  }
  return s;
}

export function operationsOf(doc: Schema): Operation[] {
  const out: Operation[] = [];
  for (const [path, item] of Object.entries<Schema>(doc.paths ?? {})) {
    const shared = (item.parameters ?? []) as Schema[];
    for (const method of METHODS) {
      const op = item[method] as Schema | undefined;
      if (!op) continue;
      const params: Param[] = [...shared, ...(op.parameters ?? [])]
        .map((p) => deref(doc, p))
        .filter((p) => p.in === 'path' || p.in === 'query' || p.in === 'header')
        .map((p) => ({ name: p.name, in: p.in, required: Boolean(p.required) || p.in === 'path', schema: deref(doc, p.schema) }));
      // Path parameters the document forgot to declare still get values.
      for (const m of path.matchAll(/\{([^}]+)\}/g)) {
        if (!params.some((p) => p.in === 'path' && p.name === m[1])) params.push({ name: m[1], in: 'path', required: true, schema: { type: 'string' } });
      }
      let body: Operation['body'];
      const rb = deref(doc, op.requestBody);
      if (rb?.content) {
        const [contentType, media] = Object.entries<Schema>(rb.content).find(([ct]) => /json/.test(ct)) ?? Object.entries<Schema>(rb.content)[0];
        body = { schema: deref(doc, media?.schema), required: Boolean(rb.required), contentType };
      }
      out.push({ key: `${method.toUpperCase()} ${path}`, method: method.toUpperCase(), path, operationId: op.operationId, audience: audienceOf(path, op, doc), params, body });
    }
  }
  return out;
}

/** The path with its parameters filled in (each value percent-encoded unless `raw`). */
export function fillPath(path: string, values: Record<string, string>, raw = false): string {
  return path.replace(/\{([^}]+)\}/g, (_, name: string) => (raw ? values[name] : encodeURIComponent(values[name] ?? 'x')));
}

/** The example a schema carries, in either of the shapes OpenAPI 3.0/3.1 documents use. */
export function exampleOf(schema: Schema): unknown {
  if (schema.example !== undefined) return schema.example;
  if (Array.isArray(schema.examples) && schema.examples.length > 0) return schema.examples[0];
  if (schema.examples && typeof schema.examples === 'object') {
    const first = Object.values<Schema>(schema.examples)[0];
    return first?.value ?? first;
  }
  return undefined;
}

/**
 * A plausible value for a schema: its example, its enum's first value, or one built from its
 * type and bounds (required properties only, plus a few optional ones). Not always valid (a
 * pattern is not inverted), which suits a fuzzer: it is the base that mutations start from.
 */
export function sampleOf(doc: Schema, schema: Schema | undefined, rnd: () => number = Math.random, depth = 0): unknown {
  const s = deref(doc, schema);
  const ex = exampleOf(s);
  if (ex !== undefined) return structuredClone(ex);
  if (s.const !== undefined) return s.const;
  if (Array.isArray(s.enum) && s.enum.length > 0) return s.enum[Math.floor(rnd() * s.enum.length)];
  const alts = (s.anyOf ?? s.oneOf) as Schema[] | undefined;
  if (alts?.length) return sampleOf(doc, alts[Math.floor(rnd() * alts.length)], rnd, depth + 1);
  if (s.allOf?.length) return Object.assign({}, ...s.allOf.map((p: Schema) => sampleOf(doc, p, rnd, depth + 1)));
  const type = Array.isArray(s.type) ? s.type.find((t: string) => t !== 'null') : s.type;
  if (depth > 8) return null;
  switch (type ?? (s.properties ? 'object' : s.items ? 'array' : undefined)) {
    case 'object': {
      const o: Record<string, unknown> = {};
      const required = new Set<string>(s.required ?? []);
      for (const [k, v] of Object.entries<Schema>(s.properties ?? {})) {
        if (required.has(k) || rnd() < 0.3) o[k] = sampleOf(doc, v, rnd, depth + 1);
      }
      return o;
    }
    case 'array': {
      const n = Math.max(1, s.minItems ?? 1);
      return Array.from({ length: Math.min(n, 3) }, () => sampleOf(doc, s.items, rnd, depth + 1));
    }
    case 'integer':
    case 'number':
      return typeof s.minimum === 'number' ? s.minimum : typeof s.maximum === 'number' ? Math.min(0, s.maximum) : 1;
    case 'boolean':
      return rnd() < 0.5;
    case 'null':
      return null;
    case 'string':
      if (s.format === 'date-time') return new Date(Date.now() + 86_400_000).toISOString();
      return 'x'.repeat(Math.max(1, s.minLength ?? 1));
    default:
      return 'x';
  }
}
