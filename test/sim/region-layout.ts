import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../../infra/local/free-port';
import { startRedisServer, type ChildRedis } from '../../infra/local/redis-server';
import { loadLocalAdminIssuer } from '../../services/credentials/admin-tokens';
import { startFlags } from '../helpers/start-command';
import { RegionLink } from './region-link';

/**
 * Several regions on one machine. A region is a Harbormaster node (its own process, port and
 * `HM_REGION`) and its link to the store; the store is one dynalite process standing for the
 * multi-region (MRSC) table, reached by every node through its own link. Redis is shared (it
 * holds no acknowledged data: queues, rate limits, heartbeats). Operators' keys (admin issuer,
 * pepper) are shared, as one deployment's are. Faults: kill or restart a node, delay, stall or
 * cut a link.
 */
const ROOT = path.resolve(import.meta.dirname, '../..');
export const PEPPER = 'region-layout-pepper-'.padEnd(48, 'x');
export const PUBLIC_URL = 'http://harbormaster.regions.test';

export interface LayoutOptions {
  regions?: string[];
  /** Extra environment for every node (lease length, log level, ...). */
  env?: Record<string, string>;
  /** Keep the store's data on disk under the layout's directory (default in memory). */
  persistentStore?: boolean;
  /** Where node output goes (default: kept, shown when a node fails to start). */
  onOutput?: (region: string, line: string) => void;
}

export interface RegionNode {
  region: string;
  port: number;
  url: string;
  link: RegionLink;
  child: ChildProcess | undefined;
  /** Starts of this region's node (1 after the first start). */
  starts: number;
  output: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class RegionLayout {
  readonly nodes = new Map<string, RegionNode>();
  private store: ChildProcess | undefined;
  private redis: ChildRedis | undefined;
  storeUrl = '';
  redisUrl = '';
  readonly queuePrefix = `hmr${Math.random().toString(36).slice(2, 8)}`;

  private constructor(
    readonly dir: string,
    readonly opts: LayoutOptions,
  ) {
    // Should this process die first, its nodes and store must not outlive it.
    process.once('exit', this.killAll);
  }

  private readonly killAll = () => {
    for (const n of this.nodes.values()) n.child?.kill('SIGKILL');
    this.store?.kill('SIGKILL');
  };

  static async start(opts: LayoutOptions = {}): Promise<RegionLayout> {
    const layout = new RegionLayout(mkdtempSync(path.join(os.tmpdir(), 'hm-regions-')), opts);
    try {
      await layout.boot(opts.regions ?? ['us-east-1', 'us-west-2', 'eu-west-1']);
    } catch (e) {
      await layout.close();
      throw e;
    }
    return layout;
  }

  get regions(): string[] {
    return [...this.nodes.keys()];
  }

  /** The directory holding the operators' keys that every node shares. */
  get controlDir(): string {
    return path.join(this.dir, 'control');
  }

  private async boot(regions: string[]): Promise<void> {
    mkdirSync(this.controlDir, { recursive: true });
    // Created once here, so that the nodes starting together do not race to create it.
    await loadLocalAdminIssuer(this.controlDir, 'harbormaster-local', 'admin');
    this.redis = await startRedisServer(path.join(this.dir, 'redis'), false);
    this.redisUrl = this.redis.url;
    await this.startStore();
    const storePort = Number(new URL(this.storeUrl).port);
    for (const region of regions) {
      const link = new RegionLink(region, { host: '127.0.0.1', port: storePort });
      await link.listen();
      const port = await freePort();
      this.nodes.set(region, { region, port, url: `http://127.0.0.1:${port}`, link, child: undefined, starts: 0, output: '' });
    }
    await Promise.all(regions.map((r) => this.startNode(r)));
  }

  private async startStore(): Promise<void> {
    const port = await freePort();
    const env: Record<string, string> = { ...process.env, PORT: String(port) } as Record<string, string>;
    if (this.opts.persistentStore) env.HM_STORE_DIR = path.join(this.dir, 'store');
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/sim/store-process.ts'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    this.store = child;
    let out = '';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`store did not start: ${out}`)), 60_000);
      child.stdout!.on('data', (d) => {
        out += d;
        if (out.includes('store listening on')) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.stderr!.on('data', (d) => (out += d));
      child.once('exit', (code) => reject(new Error(`store exited (${code}): ${out}`)));
    });
    this.storeUrl = `http://127.0.0.1:${port}`;
  }

  /** The environment of a region's node, as an operator would set it. */
  nodeEnv(region: string): Record<string, string> {
    const n = this.nodes.get(region)!;
    return {
      NODE_ENV: 'development',
      LOG_LEVEL: 'warn',
      PORT: String(n.port),
      HM_REGION: region,
      // The nodes share a data directory (the operators' keys), so each names itself; a restarted node keeps its name.
      HM_NODE_ID: `node-${region}`,
      // One deployment, one public identity (the agent-token issuer); each region its own endpoint.
      HM_PUBLIC_URL: PUBLIC_URL,
      HM_REGION_ENDPOINT: n.url,
      HM_ADVERTISED_ADDRESS: n.url,
      DYNAMODB_ENDPOINT: n.link.url,
      REDIS_URL: this.redisUrl,
      // The layout's own redis-server, a single node (also in the Redis Cluster run).
      HM_REDIS_CLUSTER: 'false',
      HM_QUEUE_PREFIX: this.queuePrefix,
      HM_DATA_DIR: this.controlDir,
      HM_API_KEY_PEPPER: PEPPER,
      HM_SHUTDOWN_GRACE_MS: '5000',
      ...this.opts.env,
    };
  }

  /** Starts (or restarts) a region's node on its port; resolves once it is ready. */
  async startNode(region: string): Promise<void> {
    const n = this.nodes.get(region)!;
    if (n.child && n.child.exitCode === null && n.child.signalCode === null) throw new Error(`${region}'s node is running`);
    const child = spawn(process.execPath, [...startFlags(), '--import', 'tsx', 'infra/server.ts'], {
      cwd: ROOT,
      env: { ...process.env, ...this.nodeEnv(region) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    n.child = child;
    n.starts++;
    n.output = '';
    const onData = (d: Buffer) => {
      const text = d.toString();
      if (this.opts.onOutput) for (const line of text.split('\n').filter(Boolean)) this.opts.onOutput(region, line);
      n.output = (n.output + text).slice(-20_000);
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    const deadline = Date.now() + 90_000;
    for (;;) {
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${region}'s node exited (${child.exitCode ?? child.signalCode}): ${n.output}`);
      try {
        if ((await fetch(`${n.url}/readyz`, { signal: AbortSignal.timeout(2000) })).ok) return;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) throw new Error(`${region}'s node did not become ready: ${n.output}`);
      await sleep(100);
    }
  }

  /** SIGKILL: the node stops mid-whatever, holding its leases until they expire. */
  async kill(region: string): Promise<void> {
    const child = this.nodes.get(region)!.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
    });
  }

  /** Graceful stop (SIGTERM): the node hands its leases back. */
  async stopNode(region: string): Promise<void> {
    const child = this.nodes.get(region)!.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
  }

  isRunning(region: string): boolean {
    const child = this.nodes.get(region)!.child;
    return !!child && child.exitCode === null && child.signalCode === null;
  }

  link(region: string): RegionLink {
    return this.nodes.get(region)!.link;
  }

  url(region: string): string {
    return this.nodes.get(region)!.url;
  }

  /** Region of a node URL (what `not_leader` and the control plane name). */
  regionOfUrl(url: string): string | undefined {
    for (const n of this.nodes.values()) if (n.url === url) return n.region;
    return undefined;
  }

  /** Every region's endpoint, as agents are configured. */
  endpoints(): Record<string, string> {
    return Object.fromEntries([...this.nodes.values()].map((n) => [n.region, n.url]));
  }

  /** Adds latency to every region's link (the cross-region cost of an MRSC write). */
  setLatency(minMs: number, maxMs = minMs): void {
    for (const n of this.nodes.values()) n.link.setLatency(minMs, maxMs);
  }

  async adminToken(): Promise<string> {
    const issuer = await loadLocalAdminIssuer(this.controlDir, 'harbormaster-local', 'admin');
    return issuer.mint({ sub: 'region-layout', roles: ['admin'], ttlSeconds: 3600 });
  }

  async close(): Promise<void> {
    await Promise.all([...this.nodes.keys()].map((r) => this.kill(r)));
    for (const n of this.nodes.values()) await n.link.close();
    if (this.store && this.store.exitCode === null) {
      await new Promise<void>((resolve) => {
        this.store!.once('exit', () => resolve());
        this.store!.kill('SIGKILL');
      });
    }
    await this.redis?.close();
    process.removeListener('exit', this.killAll);
    rmSync(this.dir, { recursive: true, force: true });
  }
}
