import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { eventually } from '../helpers/harness';

const ROOT = path.resolve(import.meta.dirname, '../..');

test('npm run demo: a tenant, a cluster and agents producing and consuming, a live line a second, Ctrl-C stops everything', async () => {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/sim/demo.ts'], { cwd: ROOT, env: { ...process.env, NODE_ENV: 'development' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  try {
    const live = () => out.split('\n').filter((l) => /commits\/s/.test(l));
    // Three live lines, the last with records committed, consumer lag measured and all agents live.
    await eventually(async () => live().length >= 3 && /records\s+[1-9][\d,]*\s+consumer lag\s+\d+\s+agents live 3\/3/.test(live().at(-1)!), 90_000, 250);
    const base = /demo on (http:\/\/127\.0\.0\.1:\d+)/.exec(out)![1];
    assert.match(out, new RegExp(`API docs:\\s+${base}/docs`));
    assert.match(out, new RegExp(`queue console:\\s+${base}/admin/queues/ui`));
    const dataDir = /data in (\S+),/.exec(out)![1];
    assert.ok(existsSync(dataDir));
    assert.equal((await fetch(`${base}/healthz`)).status, 200);

    const code = await new Promise((resolve) => {
      child.once('exit', (c) => resolve(c));
      child.kill('SIGINT');
    });
    assert.equal(code, 0, out);
    assert.match(out, /stopped\.\n$/);
    assert.ok(!existsSync(dataDir), 'the throwaway data directory is gone');
    await assert.rejects(fetch(`${base}/healthz`), 'the server is gone');
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
  }
});
