import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { freePort } from '../../infra/local/free-port';
import { startFlags } from './start-command';

const ROOT = path.resolve(import.meta.dirname, '../..');
const TSX = path.join(ROOT, 'node_modules', '.bin', 'tsx');

export interface ServerProcess {
  url: string;
  child: ChildProcess;
  output(): string;
  /** Sends a signal and resolves with the exit code (or signal name). */
  stop(signal?: NodeJS.Signals): Promise<number | string>;
}

/**
 * On an external engine (DYNAMODB_ENDPOINT, see startTestEngine) each data directory gets
 * tables of its own, the same ones again when a server restarts on it.
 */
export function tablesOf(env: Record<string, string>): Record<string, string> {
  if (!process.env.DYNAMODB_ENDPOINT || env.HM_TABLE_PREFIX || !env.HM_DATA_DIR) return {};
  return { HM_TABLE_PREFIX: `s${createHash('sha256').update(env.HM_DATA_DIR).digest('hex').slice(0, 12)}-` };
}

/**
 * Servers still running when this test process ends (a test that failed or timed out before its
 * `stop`) are told to shut down, so they do not outlive the run and load the machine.
 */
const running = new Set<ChildProcess>();
function stopAllOnExit() {
  for (const c of running) if (c.exitCode === null) c.kill('SIGINT');
}
process.once('exit', stopAllOnExit);
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    stopAllOnExit();
    process.exit(128 + (signal === 'SIGTERM' ? 15 : 2));
  });
}

/** A test that brings a Redis of its own (a single node) is off the cluster of the cluster run. */
function redisModeOf(env: Record<string, string>): Record<string, string> {
  return env.REDIS_URL !== undefined && env.REDIS_URL !== process.env.REDIS_URL ? { HM_REDIS_CLUSTER: 'false' } : {};
}

/** Runs `infra/server.ts` as `npm start` would, as a real child process (on `env.PORT`, else a free port). */
export async function startServerProcess(env: Record<string, string>): Promise<ServerProcess> {
  const port = env.PORT ? Number(env.PORT) : await freePort();
  let out = '';
  // Node itself (not the tsx wrapper), so that a signal reaches the server and nothing else.
  const child = spawn(process.execPath, [...startFlags(), '--import', 'tsx', 'infra/server.ts'], {
    cwd: ROOT,
    env: { ...process.env, NODE_ENV: 'development', LOG_LEVEL: 'info', PORT: String(port), ...tablesOf(env), ...redisModeOf(env), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  child.once('exit', () => running.delete(child));
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const url = `http://127.0.0.1:${port}`;
  // Generous: a cold tsx start on a loaded 2-core machine has taken over 30 s.
  const deadline = Date.now() + 90_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server exited early (${child.exitCode}): ${out}`);
    try {
      if ((await fetch(`${url}/readyz`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`server did not become ready: ${out}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    child,
    output: () => out,
    stop: (signal = 'SIGINT') =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve(child.exitCode);
        child.once('exit', (code, sig) => resolve(code ?? sig ?? -1));
        child.kill(signal);
      }),
  };
}

/** Runs `npm run admin-token`'s script synchronously and returns the token. */
export function adminTokenCli(env: Record<string, string>, args: string[] = []): { token: string; status: number | null; stderr: string } {
  const r = spawnSync(TSX, ['infra/cli/admin-token.ts', ...args], { cwd: ROOT, env: { ...process.env, ...env }, encoding: 'utf8' });
  return { token: r.stdout.trim(), status: r.status, stderr: r.stderr };
}

export async function http(url: string, method: string, token?: string, body?: unknown) {
  const res = await fetch(url, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    body: body !== undefined ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}
