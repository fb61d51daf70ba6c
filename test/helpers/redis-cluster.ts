import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../../infra/local/free-port';
import { stopChild } from '../../infra/local/redis-server';

export interface TestRedisCluster {
  /** One node's address: cluster clients learn the others from it. */
  url: string;
  ports: number[];
  close(): Promise<void>;
}

/**
 * A private Redis Cluster of `masters` masters (no replicas) on free loopback ports, for the
 * cluster-mode tests: each node a redis-server with `cluster-enabled`, joined with
 * `redis-cli --cluster create`, ready once every node reports `cluster_state:ok`. Nothing
 * touches disk beyond each node's cluster config file in a temporary directory.
 */
export async function startTestRedisCluster(masters = 3): Promise<TestRedisCluster> {
  if (spawnSync('redis-cli', ['--version'], { stdio: 'ignore' }).error) throw new Error('redis-cli was not found on PATH (it comes with redis-server)');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hm-redis-cluster-'));
  const ports: number[] = [];
  const children: ChildProcess[] = [];
  const killAll = () => children.forEach((c) => c.kill('SIGKILL'));
  process.once('exit', killAll);
  const close = async () => {
    process.off('exit', killAll);
    await Promise.all(children.map(stopChild));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (let i = 0; i < masters; i++) {
      // The cluster bus gets a free port of its own (default: port + 10000, maybe taken or > 65535).
      const [port, busPort] = [await freePort(), await freePort()];
      ports.push(port);
      const child = spawn(
        'redis-server',
        [
          '--port', String(port),
          '--cluster-port', String(busPort),
          '--bind', '127.0.0.1',
          '--cluster-enabled', 'yes',
          '--cluster-config-file', path.join(dir, `nodes-${port}.conf`),
          '--cluster-node-timeout', '5000',
          '--dir', dir,
          '--save', '',
          '--appendonly', 'no',
          '--logfile', '',
          '--loglevel', 'warning',
          '--maxmemory-policy', 'noeviction',
        ],
        { stdio: ['ignore', 'ignore', 'pipe'] },
      );
      children.push(child);
    }
    for (const port of ports) await until(() => cli(port, 'ping') === 'PONG', `node ${port} to answer PING`);
    const create = spawnSync('redis-cli', ['--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', '0', '--cluster-yes'], { encoding: 'utf8' });
    if (create.status !== 0) throw new Error(`redis-cli --cluster create failed: ${create.stdout}${create.stderr}`);
    for (const port of ports) await until(() => /cluster_state:ok/.test(cli(port, 'cluster', 'info')), `node ${port} to report cluster_state:ok`);
    // Every node must know every other before clients ask one of them for the slots.
    for (const port of ports) await until(() => cli(port, 'cluster', 'nodes').trim().split('\n').length === masters, `node ${port} to know all ${masters} nodes`);
    return { url: `redis://127.0.0.1:${ports[0]}`, ports, close };
  } catch (e) {
    await close();
    throw e;
  }
}

function cli(port: number, ...args: string[]): string {
  return spawnSync('redis-cli', ['-p', String(port), ...args], { encoding: 'utf8' }).stdout?.trim() ?? '';
}

async function until(check: () => boolean, what: string, ms = 15_000) {
  for (const deadline = Date.now() + ms; !check(); ) {
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
