import type { OpenApiDocument } from './openapi';

/**
 * An example of each request and answer body, made from the `examples` of its schema's
 * fields, so that the docs UI and code generators show real values (an id with its prefix,
 * a bucket URL) instead of "string". Only required fields, and optional ones whose schema
 * gives an example of its own, are filled in: an optional field is often one that excludes
 * another (an `error` beside a result), and an example must be a possible answer.
 */
type Schema = Record<string, any>;

export interface ExampleGap {
  /** Where in the body, as a JSON pointer. */
  path: string;
  /** What the field is, for the message. */
  schema: string;
}

/**
 * Examples of fields whose schema gives none, by field name; `resource:field` and
 * `parent/field` entries win over the bare name (`topics:name` is a topic's name). The
 * document test checks every example against its schema, so these cannot drift into
 * values the API would refuse.
 */
const B64_PROTOCOL = 'AAEAAAABAAZvcmRlcnP/////AAAAAA==';
const FIELD_EXAMPLES: Record<string, unknown> = {
  'clusters:name': 'prod-events', 'topics:name': 'orders', 'tenants:name': 'Acme Corp', 'tenant:name': 'Acme Corp', 'tenant/name': 'Acme Corp',
  'api-keys:name': 'ci-deploy', 'apiKey/name': 'default', 'agent-keys:name': 'agents-us-east-1', 'queues/name': 'cluster-provisioning',
  'protocols/name': 'range', 'clustersWithoutLiveAgents/name': 'prod-events', name: 'prod-events',
  topic: 'orders', group: 'orders-consumers', memberId: 'orders-app-1-3f2a9c1e', groupInstanceId: 'orders-app-1', clientId: 'orders-app',
  clientHost: '10.0.12.7', protocolType: 'consumer', protocolName: 'range', protocol: 'range',
  'consumer-groups:leader': 'orders-app-1-3f2a9c1e', 'control-plane:leader': 'http://10.0.3.21:8080', leader: 'http://10.0.3.21:8080',
  'offsets/metadata': 'checkpoint-42', 'partitions/metadata': 'checkpoint-42', 'protocols/metadata': B64_PROTOCOL, 'members/metadata': B64_PROTOCOL,
  assignment: 'AAEAAAABAAZvcmRlcnMAAAABAAAAAP////8=',
  accountId: '123456789012', roleArnPattern: 'arn:aws:iam::123456789012:role/harbormaster-agent-*',
  address: '10.0.12.7:9092', advertisedAddress: '10.0.12.7:9092', agentId: 'agent-use1a-7f9c',
  bucket: 's3://acme-streaming-use1/harbormaster', checksum: 'crc32c:8f1d2a3b',
  catalogueVersion: '2026-11-25', tierCatalogueVersion: '2026-11-25',
  clusterId: 'vci_01jd4v7m2q8x3k5n6p7r8s9t0a', tenantId: 'tnt_01jd4v7m2q8x3k5n6p7r8s9t0a', createdBy: 'key_01jd4v7m2q8x3k5n6p7r8s9t0a',
  'principal/id': 'key_01jd4v7m2q8x3k5n6p7r8s9t0a', 'principal/type': 'api-key', 'target/id': 'vci_01jd4v7m2q8x3k5n6p7r8s9t0a', 'target/type': 'cluster',
  currentPepperId: 'pep-3f9a1c2b', previousPepperIds: 'pep-77d0e4a1', displayName: 'Pro',
  endpoint: 'https://use1.harbormaster.example.com', endpoints: 'https://use1.harbormaster.example.com',
  fileId: '01JD4V7M2Q-use1a-000042', objectKey: 'hm/vci_01jd4v7m2q8x3k5n6p7r8s9t0a/2026/11/24/01JD4V7M2Q-use1a-000042.seg',
  hint: 'hm_ak_01jd4v7m2q8x3k5n6p7r8s9t0a_…',
  iamHttpRequestMethod: 'POST', iamRequestBody: 'QWN0aW9uPUdldENhbGxlcklkZW50aXR5JlZlcnNpb249MjAxMS0wNi0xNQ==',
  iamRequestHeaders: 'eyJob3N0Ijoic3RzLnVzLWVhc3QtMS5hbWF6b25hd3MuY29tIn0=', iamRequestUrl: 'aHR0cHM6Ly9zdHMudXMtZWFzdC0xLmFtYXpvbmF3cy5jb20v',
  kid: 'sk-4Xb8Qm2Rt7Vw9Zc1', previousKid: 'sk-9Hn3Kp6Ls2Dq8Fg5',
  leaderRegion: 'us-east-1', preferredRegion: 'us-east-1', region: 'us-east-1', regions: 'us-east-1', missingRegions: 'us-west-2', zone: 'us-east-1a',
  nodeId: 'node-use1-a', requestId: 'req_5f0c8e1a-2b7d-4c1e-9a3f-6d2b8e4f1a07', roles: 'proxy', scopes: 'clusters:read',
  'agent-keys:secret': 'hm_ak_01jd4v7m2q8x3k5n6p7r8s9t0a_Zk3p9Qw7Xr2Lm5Tn8Vb1Hc4Jd6Fs0Ga', secret: 'hm_sk_01jd4v7m2q8x3k5n6p7r8s9t0a_Zk3p9Qw7Xr2Lm5Tn8Vb1Hc4Jd6Fs0Ga',
  targetVersion: '1.4.2', version: '1.4.2', topicId: 'mK1i3lN6QbKx2X5uJf0hWg',
  accessToken: 'eyJhbGciOiJFZERTQSIsImtpZCI6InNrLTRYYjhRbTJSdDdWdzlaYzEifQ.eyJhdWQiOiJhZ2VudCJ9.c2lnbmF0dXJl',
  nextCursor: 'eyJrIjoiMDFqZDR2N20ycTh4M2s1bjZwN3I4czl0MGEifQ',
};

/** The example for a field without one: by the operation's resources (last first), its parent, its name. */
function fieldExample(path: string, resources: readonly string[]): unknown {
  const parts = path.split('/').filter((p) => p !== '' && !/^\d+$/.test(p));
  const field = parts.at(-1);
  if (!field) return undefined;
  const parent = parts.at(-2);
  const keys = [...resources.flatMap((r) => [`${r}:${parent}/${field}`, `${r}:${field}`]), `${parent}/${field}`, field];
  for (const k of keys) if (Object.hasOwn(FIELD_EXAMPLES, k)) return FIELD_EXAMPLES[k];
  return undefined;
}

/** The static segments of an operation's path, last first (`/v1/clusters/{id}/topics` → topics, clusters, v1). */
export const resourcesOf = (path: string) => path.split('/').filter((p) => p && !p.startsWith('{')).reverse();

const FORMATS: Record<string, string> = {
  'date-time': '2026-11-24T18:30:00.000Z',
  date: '2026-11-24',
  uri: 'https://harbormaster.example.com',
  email: 'ops@example.com',
};

export function exampleOf(schema: Schema | undefined, components: Record<string, Schema>, gaps: ExampleGap[], path = '', resources: readonly string[] = []): unknown {
  if (!schema) return null;
  if (schema.$ref) return exampleOf(components[String(schema.$ref).split('/').pop()!], components, gaps, path, resources);
  if (schema.example !== undefined) return schema.example;
  if (schema.default !== undefined) return schema.default;
  if (schema.const !== undefined) return schema.const;
  if (Array.isArray(schema.enum)) return schema.enum[0];
  if (Array.isArray(schema.examples) && schema.examples.length > 0) return schema.examples[0];
  if (schema.allOf) {
    const parts = schema.allOf.map((s: Schema) => exampleOf(s, components, gaps, path, resources));
    return parts.every((p: unknown) => p && typeof p === 'object' && !Array.isArray(p)) ? Object.assign({}, ...parts) : parts[0];
  }
  const alternatives = schema.anyOf ?? schema.oneOf;
  if (alternatives) {
    const first = alternatives.find((s: Schema) => s.type !== 'null') ?? alternatives[0];
    return exampleOf(first, components, gaps, path, resources);
  }
  const type = Array.isArray(schema.type) ? schema.type.find((t: string) => t !== 'null') : schema.type;
  if (type === 'object' || (type === undefined && schema.properties)) {
    const out: Record<string, unknown> = {};
    const required = new Set<string>(schema.required ?? []);
    for (const [name, prop] of Object.entries<Schema>(schema.properties ?? {})) {
      if (required.has(name) || hasOwnExample(prop, components)) out[name] = exampleOf(prop, components, gaps, `${path}/${name}`, resources);
    }
    return out;
  }
  if (type === 'array') {
    const item = exampleOf(schema.items, components, gaps, `${path}/0`, resources);
    return Array.from({ length: Math.max(1, schema.minItems ?? 1) }, () => item);
  }
  if (type === 'string') {
    if (schema.format && FORMATS[schema.format]) return FORMATS[schema.format];
    const known = fieldExample(path, resources);
    if (known !== undefined) return known;
    gaps.push({ path: path || '(root)', schema: JSON.stringify(compact(schema)) });
    return 'string';
  }
  if (type === 'integer' || type === 'number') return schema.minimum !== undefined && schema.minimum > 0 ? schema.minimum : 0;
  if (type === 'boolean') return false;
  if (type === 'null' || schema.nullable) return null;
  // `{}` (any value): say nothing rather than invent.
  return {};
}

const hasOwnExample = (s: Schema, components: Record<string, Schema>): boolean => {
  if (s.$ref) return hasOwnExample(components[String(s.$ref).split('/').pop()!] ?? {}, components);
  return s.example !== undefined || (Array.isArray(s.examples) && s.examples.length > 0);
};

const compact = (s: Schema) => Object.fromEntries(Object.entries(s).filter(([k]) => ['type', 'pattern', 'description', 'format', 'minLength', 'maxLength'].includes(k)));

/** Writes a media-type `example` for every JSON request and answer body that has none; returns the fields no example could be made for. */
export function addExamples(doc: OpenApiDocument): { where: string; gap: ExampleGap }[] {
  const found: { where: string; gap: ExampleGap }[] = [];
  const components = doc.components.schemas as Record<string, Schema>;
  for (const [path, ops] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(ops)) {
      const bodies: [string, Schema | undefined][] = [['request body', (op.requestBody as Schema | undefined)?.content?.['application/json']]];
      for (const [status, r] of Object.entries(op.responses ?? {})) {
        if (Number(status) < 400) bodies.push([`${status} answer`, (r as Schema).content?.['application/json']]);
      }
      for (const [what, media] of bodies) {
        if (!media?.schema || media.example !== undefined || media.examples !== undefined) continue;
        const gaps: ExampleGap[] = [];
        media.example = exampleOf(media.schema, components, gaps, '', resourcesOf(path));
        for (const gap of gaps) found.push({ where: `${method.toUpperCase()} ${path} ${what}`, gap });
      }
    }
  }
  return found;
}
