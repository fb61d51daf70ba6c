import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { freePort } from './free-port';

export interface ChildRedis {
  url: string;
  /** The running child's process id (it changes when the child is restarted). */
  pid(): number | undefined;
  /** How many times the child died and was started again. */
  restarts(): number;
  close(): Promise<void>;
}

export class RedisMissingError extends Error {
  constructor() {
    super(
      'redis-server was not found on PATH. Install it (Debian/Ubuntu: `apt-get install -y redis-server`, ' +
        'macOS: `brew install redis`) or set REDIS_URL to an existing Redis.',
    );
    this.name = 'RedisMissingError';
  }
}

export interface RedisEvents {
  /** The child exited without being asked to; it is started again after `delayMs`. */
  onExit?(info: { code: number | null; signal: string | null; delayMs: number }): void;
  onRestart?(info: { pid: number | undefined; restarts: number }): void;
  onRestartFailed?(err: Error): void;
}

/**
 * Starts a private `redis-server` on a free loopback port and keeps it running: when the child
 * dies it is started again on the same port and data directory, so clients simply reconnect
 * (with `persistent`, it reloads its append-only file). `persistent` keeps that file under
 * `dir` (the embedded default); otherwise nothing touches disk (tests).
 */
export async function startRedisServer(dir: string, persistent: boolean, events: RedisEvents = {}): Promise<ChildRedis> {
  const probe = spawnSync('redis-server', ['--version'], { encoding: 'utf8' });
  if (probe.error) throw new RedisMissingError();
  mkdirSync(dir, { recursive: true });
  const pidFile = path.join(dir, 'redis.pid');
  if (persistent) stopStale(pidFile);

  const port = await freePort();
  const args = [
    '--port', String(port),
    '--bind', '127.0.0.1',
    '--dir', dir,
    '--save', '',
    '--appendonly', persistent ? 'yes' : 'no',
    '--appendfsync', 'everysec',
    '--pidfile', pidFile,
    '--logfile', '',
    '--loglevel', 'warning',
    // BullMQ requires that keys are never evicted.
    '--maxmemory-policy', 'noeviction',
  ];
  let child: ChildProcess;
  let stderr = '';
  let closing = false;
  let restarts = 0;
  let failures = 0;
  let restartTimer: NodeJS.Timeout | undefined;
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);

  const spawnChild = () => {
    stderr = '';
    const [cmd, ...argv] = [...followParent(), 'redis-server', ...args];
    child = spawn(cmd, argv, { stdio: ['ignore', 'ignore', 'pipe'] });
    child.stderr?.on('data', (d) => (stderr = (stderr + d).slice(-4000)));
    child.once('exit', (code, signal) => {
      if (closing) return;
      // Quick at first; backs off while it keeps failing (a port taken meanwhile, a full disk).
      const delayMs = Math.min(100 * 2 ** Math.min(failures, 6), 5000);
      failures++;
      events.onExit?.({ code, signal, delayMs });
      restartTimer = setTimeout(restart, delayMs);
    });
    return child;
  };
  const restart = async () => {
    if (closing) return;
    const c = spawnChild();
    try {
      await waitForPing(port, c);
      failures = 0;
      restarts++;
      events.onRestart?.({ pid: c.pid, restarts });
    } catch (e) {
      // Its exit handler schedules the next attempt; a hung child is stopped so that it does.
      events.onRestartFailed?.(new Error(`${(e as Error).message} ${stderr}`.trim()));
      if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    }
  };

  spawnChild();
  try {
    await waitForPing(port, child!);
  } catch (e) {
    closing = true;
    process.removeListener('exit', killOnExit);
    child!.kill('SIGKILL');
    throw new Error(`redis-server did not start: ${(e as Error).message} ${stderr}`.trim());
  }
  return {
    url: `redis://127.0.0.1:${port}`,
    pid: () => child.pid,
    restarts: () => restarts,
    close: async () => {
      closing = true;
      clearTimeout(restartTimer);
      process.removeListener('exit', killOnExit);
      await stopChild(child);
    },
  };
}

let parentDeathPrefix: string[] | undefined;
/**
 * The 'exit' hook above does not run when this process is SIGKILLed; on Linux, util-linux's
 * `setpriv --pdeathsig KILL` (which execs, so the pid stays redis-server's) makes the kernel stop
 * the child with us. Where it is missing (macOS), the stale-pid check below is the fallback.
 */
function followParent(): string[] {
  if (parentDeathPrefix) return parentDeathPrefix;
  const probe = spawnSync('setpriv', ['--pdeathsig', 'KILL', '--', 'true'], { stdio: 'ignore' });
  parentDeathPrefix = probe.error || probe.status !== 0 ? [] : ['setpriv', '--pdeathsig', 'KILL', '--'];
  return parentDeathPrefix;
}

/** A previous run killed with SIGKILL may have left its redis-server on our files. */
function stopStale(pidFile: string) {
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, 'utf8').trim());
  if (!Number.isInteger(pid) || pid <= 1) return;
  try {
    const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    if (!cmd.includes('redis-server')) return;
    process.kill(pid, 'SIGTERM');
    for (let i = 0; i < 100 && existsSync(`/proc/${pid}`); i++) spawnSync('sleep', ['0.05']);
  } catch {
    // Not running (or not ours to see): nothing to stop.
  }
}

async function waitForPing(port: number, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`exited with code ${child.exitCode ?? child.signalCode}`);
    if (await ping(port)) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error('no answer to PING within 10 s');
}

function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = net.connect(port, '127.0.0.1');
    let buf = '';
    sock.setTimeout(500);
    sock.on('connect', () => sock.write('PING\r\n'));
    sock.on('data', (d) => {
      buf += d;
      if (buf.includes('\r\n')) {
        sock.destroy();
        // A restarted child reloading its data answers LOADING: it is up, clients wait.
        resolve(buf.startsWith('+PONG') || buf.startsWith('-LOADING'));
      }
    });
    sock.on('error', () => resolve(false));
    sock.on('timeout', () => {
      sock.destroy();
      resolve(false);
    });
  });
}

/** SIGTERM, then SIGKILL after 5 s; resolves once the child has exited. */
export function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    // A stopped child (SIGSTOP) would never see the SIGTERM.
    child.kill('SIGCONT');
    child.kill('SIGTERM');
  });
}
