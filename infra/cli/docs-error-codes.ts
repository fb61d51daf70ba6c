/**
 * `npm run docs:error-codes`: rewrites the README's error-code table from
 * shared/error-codes.ts (test/unit/error-codes-readme.test.ts fails until it is run).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { README_BEGIN, README_END, errorCodesMarkdown } from '../../api/reference/error-codes-doc';

const readme = path.resolve(import.meta.dirname, '../../README.md');
const text = readFileSync(readme, 'utf8');
const start = text.indexOf(README_BEGIN);
const end = text.indexOf(README_END);
if (start < 0 || end < start) {
  process.stderr.write(`README.md has no "${README_BEGIN}" … "${README_END}" section to rewrite.\n`);
  process.exit(1);
}
const next = text.slice(0, start) + errorCodesMarkdown() + text.slice(end + README_END.length);
if (next === text) process.stdout.write('README.md error codes are up to date.\n');
else {
  writeFileSync(readme, next);
  process.stdout.write('README.md error codes rewritten.\n');
}
