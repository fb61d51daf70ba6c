import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { eventually } from '../helpers/harness';

// The embedded redis-server follows its parent out even when the parent is SIGKILLed (its own
// 'exit' hook never runs then): a killed server must not leave a redis-server behind.
const hasSetpriv = !spawnSync('setpriv', ['--pdeathsig', 'KILL', '--', 'true']).error;

test('a SIGKILLed parent takes its embedded redis-server with it', { skip: hasSetpriv ? false : 'setpriv (util-linux) is not installed' }, async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hm-redis-life-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const entry = path.resolve(import.meta.dirname, '../../infra/local/redis-server.ts');
  const script = `const { startRedisServer } = await import(${JSON.stringify(entry)}); const r = await startRedisServer(${JSON.stringify(dir)}, true); console.log(String(r.pid())); setInterval(() => {}, 1000);`;
  const parent = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  t.after(() => parent.kill('SIGKILL'));
  let out = '';
  parent.stdout.on('data', (d) => (out += d));
  const pid = await eventually(async () => (/^\d+\n/.test(out) ? Number(out.trim()) : undefined), 30_000);
  assert.match(readCmd(pid), /redis-server/, 'the pid printed is the redis-server itself');

  parent.kill('SIGKILL');
  await eventually(async () => !isAlive(pid), 30_000);
});

function readCmd(pid: number): string {
  try {
    return spawnSync('cat', [`/proc/${pid}/cmdline`], { encoding: 'utf8' }).stdout;
  } catch {
    return '';
  }
}

function isAlive(pid: number): boolean {
  // A zombie (exited, not yet reaped by its new parent) counts as gone.
  if (!existsSync(`/proc/${pid}`)) return false;
  const stat = spawnSync('cat', [`/proc/${pid}/stat`], { encoding: 'utf8' }).stdout;
  return !/^\d+ \(.*\) Z /.test(stat);
}
