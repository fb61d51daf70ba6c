import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { adminTokenCli } from '../helpers/server-process';

test('admin-token: --help prints usage, unknown flags and bad values say what is wrong without a stack trace', (t) => {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'hm-cli-'));
  t.after(() => rmSync(dataDir, { recursive: true, force: true }));
  const env = { HM_DATA_DIR: dataDir };
  for (const flag of ['--help', '-h']) {
    const help = adminTokenCli(env, [flag]);
    assert.equal(help.status, 0, help.stderr);
    assert.match(help.token, /^Usage: npm run -s admin-token/);
    assert.match(help.token, /--role <role>/);
  }
  const cases: [string[], RegExp][] = [
    [['--bogus'], /Unknown option '--bogus'/],
    [['extra'], /Unexpected argument 'extra'|positional/i],
    [['--role', 'root'], /unknown role\(s\) root; use admin or viewer/],
    [['--ttl', '5'], /--ttl must be a whole number of seconds, 60\.\.86400/],
  ];
  for (const [args, message] of cases) {
    const r = adminTokenCli(env, args);
    assert.equal(r.status, 2, args.join(' '));
    assert.equal(r.token, '', 'nothing on stdout, so $(...) captures no garbage');
    assert.match(r.stderr, message);
    assert.match(r.stderr, /Usage:/);
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  }
  assert.match(adminTokenCli(env, ['--role', 'viewer']).token, /^ey[\w-]+\.[\w-]+\.[\w-]+$/);
});
