import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import { startHarness, type Harness } from '../helpers/harness';
import { ERROR_CODES, isErrorCode, statusesOf } from '../../shared/error-codes';
import { exampleOf, resourcesOf, type ExampleGap } from '../../api/plugins/openapi-examples';

/**
 * Walks the served OpenAPI document and fails on anything a code generator or a reader
 * would trip on. Each failure line names the operation and what to add to its route.
 */
let h: Harness;
let doc: any;
before(async () => {
  h = await startHarness({ workers: false });
  doc = (await h.request('GET', '/docs/json')).body;
});
after(() => h?.close());

const METHODS = ['get', 'put', 'post', 'delete', 'patch'];
const operations = () =>
  Object.entries<any>(doc.paths).flatMap(([path, item]) =>
    Object.entries<any>(item)
      .filter(([m]) => METHODS.includes(m))
      .map(([method, op]) => ({ name: `${method.toUpperCase()} ${path}`, method, path, op })),
  );

test('openapi: every operation has an operationId, a description and problem responses listing their codes', () => {
  const problems: string[] = [];
  const ids = new Map<string, string>();
  for (const { name, op } of operations()) {
    if (typeof op.operationId !== 'string' || !/^[a-z][A-Za-z0-9]+$/.test(op.operationId)) {
      problems.push(`${name}: no operationId; add schema.operationId (a unique camelCase verb phrase, e.g. "listClusterJobs") to its route`);
    } else if (ids.has(op.operationId)) {
      problems.push(`${name}: operationId "${op.operationId}" is also used by ${ids.get(op.operationId)}; make it unique`);
    } else ids.set(op.operationId, name);
    if (typeof op.description !== 'string' || op.description.trim().length < 20 || op.description === op.summary) {
      problems.push(`${name}: no description; add schema.description (what it does, who may call it, what to expect) to its route`);
    }
    if (typeof op.summary !== 'string' || op.summary.length === 0) problems.push(`${name}: no summary; add schema.summary to its route`);
    const statuses = Object.keys(op.responses ?? {}).map(Number);
    if (!statuses.some((s) => s >= 200 && s < 300) && !statuses.some((s) => s >= 300 && s < 400)) {
      problems.push(`${name}: no success response; add response: { 200: <schema> } to its route`);
    }
    if (!statuses.some((s) => s >= 400)) problems.push(`${name}: no problem responses (every route can at least answer 503 shutting_down)`);
    for (const [status, r] of Object.entries<any>(op.responses ?? {})) {
      const s = Number(status);
      if (s < 400) continue;
      const codes: string[] = r['x-problem-codes'] ?? [];
      const media = r.content?.['application/problem+json'];
      if (!media) problems.push(`${name}: response ${status} is not application/problem+json`);
      if (codes.length === 0) {
        problems.push(`${name}: response ${status} lists no codes; name the codes its route can answer with ${status} in problems(...) (e.g. problems('cluster_not_found')) instead of the bare status`);
        continue;
      }
      for (const code of codes) {
        if (!isErrorCode(code)) problems.push(`${name}: response ${status} lists "${code}", which is not in shared/error-codes.ts; add it there`);
        else if (!statusesOf(code).includes(s)) problems.push(`${name}: response ${status} lists "${code}", whose status is ${JSON.stringify(ERROR_CODES[code].status)}`);
      }
      const example = media?.example;
      if (!example || example.status !== s || !codes.includes(example.code)) {
        problems.push(`${name}: response ${status} has no example of its own status and codes (got ${JSON.stringify(example)?.slice(0, 120)})`);
      } else if (example.type !== `${h.config.publicUrl}/problems/${example.code}`) {
        problems.push(`${name}: response ${status}'s example type ${example.type} does not point at this server's /problems`);
      }
    }
  }
  assert.deepEqual(problems, [], `\n${problems.join('\n')}\n`);
});

/** OpenAPI 3.0's schema dialect (nullable, example) as JSON Schema for Ajv. */
function jsonSchema(s: any, components: any): any {
  if (Array.isArray(s)) return s.map((x) => jsonSchema(x, components));
  if (!s || typeof s !== 'object') return s;
  if (s.$ref) return jsonSchema(components[s.$ref.split('/').pop()], components);
  const out: any = {};
  for (const [k, v] of Object.entries<any>(s)) {
    if (k === 'example' || k === 'nullable' || k.startsWith('x-')) continue;
    out[k] = k === 'properties' ? Object.fromEntries(Object.entries<any>(v).map(([p, ps]) => [p, jsonSchema(ps, components)])) : jsonSchema(v, components);
  }
  if (s.nullable) return { anyOf: [out, { type: 'null' }] };
  return out;
}

test('openapi: every request and answer body has an example made of real values that its schema accepts', () => {
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats(ajv);
  const components = doc.components.schemas;
  const problems: string[] = [];
  for (const { name, path, op } of operations()) {
    const bodies: [string, any][] = [['request body', op.requestBody?.content?.['application/json']]];
    for (const [status, r] of Object.entries<any>(op.responses ?? {})) {
      for (const [type, media] of Object.entries<any>(r.content ?? {})) if (type.includes('json')) bodies.push([`${status} ${type} answer`, media]);
    }
    for (const [what, media] of bodies) {
      if (!media?.schema) continue;
      const gaps: ExampleGap[] = [];
      exampleOf(media.schema, components, gaps, '', resourcesOf(path));
      for (const g of gaps) problems.push(`${name} ${what}: field ${g.path} ${g.schema} has no example; add examples: [...] to its TypeBox schema`);
      const examples = media.example !== undefined ? [media.example] : Object.values<any>(media.examples ?? {}).map((e) => e.value);
      if (examples.length === 0) problems.push(`${name} ${what}: no example`);
      const validate = ajv.compile(jsonSchema(media.schema, components));
      for (const example of examples) {
        if (!validate(example)) problems.push(`${name} ${what}: the example ${JSON.stringify(example).slice(0, 200)} does not match the schema: ${ajv.errorsText(validate.errors)}`);
      }
    }
  }
  assert.deepEqual(problems, [], `\n${problems.join('\n')}\n`);
});

test('openapi: /readyz documents its 503 not_ready', () => {
  const r = doc.paths['/readyz'].get.responses['503'];
  assert.ok(r, 'GET /readyz has no 503 response');
  assert.ok(r['x-problem-codes'].includes('not_ready'));
  assert.equal(r.content['application/problem+json'].example.status, 503);
});

test('openapi: the problem documents the server writes point their type at its /problems reference', async () => {
  const res = await h.request('GET', '/v1/clusters');
  assert.equal(res.status, 401);
  assert.equal(res.body.type, `${h.config.publicUrl}/problems/${res.body.code}`);
  const page = await h.request('GET', `/problems/${res.body.code}`, { headers: { accept: 'application/json' } });
  assert.equal(page.status, 200);
  assert.equal(page.body.code, res.body.code);
});
