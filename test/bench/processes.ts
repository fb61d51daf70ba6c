import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { freePort } from '../../infra/local/free-port';
import { tablesOf } from '../helpers/server-process';
import { startFlags } from '../helpers/start-command';

const ROOT = path.resolve(import.meta.dirname, '../..');

export interface Proc {
  url: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

/** Starts a TypeScript entry point as its own process on a free port; resolves once `probe` answers 2xx. */
export async function startProcess(entry: string, env: Record<string, string>, probe: string, nodeArgs: string[] = [], root = ROOT): Promise<Proc> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', ...nodeArgs, entry], { cwd: root, env: { ...process.env, ...env, PORT: String(port) }, stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (d) => (err += d));
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    if (child.exitCode !== null) throw new Error(`${entry} exited (${child.exitCode}): ${err}`);
    try {
      if ((await fetch(url + probe)).ok) break;
    } catch {
      if (i > 600) throw new Error(`${entry} did not start: ${err}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    child,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/**
 * The control plane as `npm start` runs it (same Node flags), on a fresh data directory;
 * HM_BENCH_SERVER_NODE_ARGS adds flags (for profiling); `root` runs another checkout's server
 * (a baseline, side by side).
 */
export function startServer(dataDir: string, env: Record<string, string> = {}, nodeArgs: string[] = [], root = ROOT): Promise<Proc> {
  const extra = process.env.HM_BENCH_SERVER_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
  const serverEnv = { HM_DATA_DIR: dataDir, LOG_LEVEL: 'warn', NODE_ENV: 'development', ...env };
  // On DynamoDB Local (`npm run bench:dynamodb-local`) each server gets tables of its own.
  return startProcess('infra/server.ts', { ...serverEnv, ...tablesOf(serverEnv) }, '/readyz', [...startFlags(), ...extra, ...nodeArgs], root);
}
