import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { README_BEGIN, README_END, errorCodesMarkdown } from '../../api/reference/error-codes-doc';

test('README: the error-code section is the one generated from shared/error-codes.ts', () => {
  const text = readFileSync(path.resolve(import.meta.dirname, '../../README.md'), 'utf8');
  const start = text.indexOf(README_BEGIN);
  const end = text.indexOf(README_END);
  assert.ok(start >= 0 && end > start, 'README.md lacks the generated error-code section');
  assert.equal(text.slice(start, end + README_END.length), errorCodesMarkdown(), 'README.md error codes are stale: run `npm run docs:error-codes`');
});
