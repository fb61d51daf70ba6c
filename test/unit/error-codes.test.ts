import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { ERROR_CODES, isErrorCode, statusesOf } from '../../shared/error-codes';

/**
 * Every problem code the code can throw is in shared/error-codes.ts, with the status it is
 * thrown with. The scan reads the source: the error helpers of shared/errors.ts with a
 * literal code, `new AppError(status, code)`, and `{ status, code }` problem literals.
 */
const root = path.resolve(import.meta.dirname, '../..');
const HELPERS: Record<string, number> = { badRequest: 400, unauthorized: 401, forbidden: 403, notFound: 404, conflict: 409, unprocessable: 422, unavailable: 503 };

/**
 * Sites whose code is computed: the codes each can produce. A new computed site fails the
 * test until it is listed here (so that its codes are checked too).
 */
const COMPUTED: Record<string, { site: RegExp; codes: string[] }[]> = {
  'services/credentials/workload-identity.ts': [{ site: /forbidden\(`tenant_\$\{tenant\.status\}`/, codes: ['tenant_suspended', 'tenant_deleting'] }],
  'services/credentials/agent-keys-service.ts': [{ site: /forbidden\(`tenant_\$\{tenant\.status\}`/, codes: ['tenant_suspended', 'tenant_deleting'] }],
  'services/clusters/service.ts': [{ site: /forbidden\(`tenant_\$\{t\.status\}`/, codes: ['tenant_suspended', 'tenant_deleting'] }],
  'services/clusters/creation.ts': [{ site: /forbidden\(`tenant_\$\{fresh\.status\}`/, codes: ['tenant_suspended', 'tenant_deleting'] }],
  'services/credentials/trust-rules-service.ts': [{ site: /badRequest\(problem === 'not_a_role_pattern'/, codes: ['invalid_role_pattern', 'role_path_not_supported', 'account_mismatch'] }],
};

function sources(): string[] {
  const walk = (d: string): string[] =>
    readdirSync(d).flatMap((f) => {
      const p = path.join(d, f);
      return statSync(p).isDirectory() ? walk(p) : p.endsWith('.ts') ? [p] : [];
    });
  return ['api', 'services', 'shared', 'workers', 'infra'].flatMap((d) => walk(path.join(root, d)));
}

interface Site { code: string; status?: number; where: string }

function scan(): { sites: Site[]; computed: string[] } {
  const sites: Site[] = [];
  const computed: string[] = [];
  for (const file of sources()) {
    const rel = path.relative(root, file);
    const text = readFileSync(file, 'utf8');
    const lineOf = (i: number) => `${rel}:${text.slice(0, i).split('\n').length}`;
    for (const m of text.matchAll(/\b(badRequest|unauthorized|forbidden|notFound|conflict|unprocessable|unavailable)\(\s*([^\s)])/g)) {
      if (/export const $/.test(text.slice(Math.max(0, m.index - 13), m.index))) continue;
      const rest = text.slice(m.index + m[0].length - 1);
      const literal = /^'([^']+)'/.exec(rest);
      if (literal) sites.push({ code: literal[1], status: HELPERS[m[1]], where: lineOf(m.index) });
      else {
        const known = COMPUTED[rel]?.find((c) => c.site.test(text.slice(m.index, m.index + 120)));
        if (known) for (const code of known.codes) sites.push({ code, status: HELPERS[m[1]], where: lineOf(m.index) });
        else computed.push(lineOf(m.index));
      }
    }
    for (const m of text.matchAll(/new AppError\(\s*(\d+),\s*'([^']+)'/g)) sites.push({ code: m[2], status: Number(m[1]), where: lineOf(m.index) });
    for (const m of text.matchAll(/status: (\d+),\s*code: '([a-z0-9_]+)'/g)) sites.push({ code: m[2], status: Number(m[1]), where: lineOf(m.index) });
    for (const m of text.matchAll(/\bcode: '([a-z][a-z0-9_]*)'/g)) sites.push({ code: m[1], where: lineOf(m.index) });
  }
  return { sites, computed };
}

test('error codes: every code thrown in the code is in shared/error-codes.ts, with the status it is thrown with', () => {
  const { sites, computed } = scan();
  assert.ok(sites.length > 150, `the scan found only ${sites.length} sites: has the error helper API changed?`);
  const problems: string[] = [];
  for (const s of sites) {
    if (!isErrorCode(s.code)) {
      problems.push(`${s.where}: code "${s.code}" is not in shared/error-codes.ts; add { status: ${s.status ?? '<its status>'}, meaning, action } for it there`);
    } else if (s.status !== undefined && !statusesOf(s.code).includes(s.status)) {
      problems.push(`${s.where}: code "${s.code}" is thrown with status ${s.status} but shared/error-codes.ts says ${JSON.stringify(ERROR_CODES[s.code].status)}`);
    }
  }
  for (const where of computed) {
    problems.push(`${where}: an error helper with a computed code; list the codes it can produce in COMPUTED of test/unit/error-codes.test.ts`);
  }
  assert.deepEqual(problems, []);
});

test('error codes: every row is complete and its codes are snake_case', () => {
  for (const [code, info] of Object.entries(ERROR_CODES)) {
    assert.match(code, /^[a-z][a-z0-9_]*$/, code);
    for (const s of statusesOf(code as keyof typeof ERROR_CODES)) assert.ok(s >= 400 && s <= 599, `${code}: status ${s}`);
    assert.ok(info.meaning.length > 10 && info.action.length > 5, `${code}: meaning and action are sentences`);
  }
});
