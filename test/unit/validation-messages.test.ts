import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Type } from 'typebox';
import Ajv from 'ajv';
import { describeIssues, type ValidationIssue } from '../../api/plugins/validation-messages';

// Ajv's errors as the app's validator reports them (all errors, as Fastify is configured).
function issuesOf(schema: object, value: unknown) {
  const ajv = new Ajv({ allErrors: true, strict: false });
  const validate = ajv.compile(schema);
  assert.equal(validate(value), false);
  return describeIssues(validate.errors as ValidationIssue[], 'body');
}

test("a union names each alternative once: a missing object's fields together, or null", () => {
  const body = Type.Union([Type.Object({ clusterId: Type.String(), iamRequestUrl: Type.String() }), Type.Null()]);
  assert.deepEqual(issuesOf(body, {}), [{ path: 'body', message: "must have required properties 'clusterId', 'iamRequestUrl', or be null" }]);
});

test('unions of literals and of types read as before', () => {
  assert.deepEqual(issuesOf(Type.Union([Type.Literal('a'), Type.Literal('b')]), 'c'), [{ path: 'body', message: 'must be one of: "a", "b"' }]);
  assert.deepEqual(issuesOf(Type.Union([Type.Integer(), Type.String({ pattern: '^x$' })]), 'y'), [{ path: 'body', message: 'must be integer, or match pattern "^x$"' }]);
});
