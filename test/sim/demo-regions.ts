import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { ReferenceAgent } from './agent';
import { RegionBuckets } from './region-buckets';
import { callAny, setupRegionCluster } from './region-cluster';
import { RegionLayout } from './region-layout';
import { RegionProducer } from './region-producer';
import { decodeBatch } from './records';

/**
 * `npm run demo:regions`: three regions on this machine (a Harbormaster node process each, a
 * store link each with the seed's 80–100 ms cross-region latency, a bucket directory each, one
 * store standing for the MRSC table), an enterprise cluster, a small producer behind an agent in
 * every region and a consumer tailing the log. A line a second shows commits/s acknowledged per
 * region, the leading region and the consumer's lag. Type a command to break or mend a region
 * (`help` lists them), or kill a node's process from another terminal (its pid is printed).
 * `--no-latency` drops the cross-region latency.
 */
const latency = !process.argv.includes('--no-latency');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function main() {
  console.log('starting three regions (a store, three nodes; about half a minute)...');
  const layout = await RegionLayout.start();
  layout.setLatency(...((latency ? [80, 100] : [0, 0]) as [number, number]));
  const cluster = await setupRegionCluster(layout, { name: `demo-${randomBytes(2).toString('hex')}`, partitions: 6 });
  const canary = `DEMO-${randomBytes(3).toString('hex')}`;
  const buckets = new RegionBuckets(path.join(layout.dir, 'buckets'), cluster.buckets);
  const agentIn = (region: string, id: string) =>
    new ReferenceAgent({
      baseUrl: layout.url(region),
      agentKey: cluster.agentKey,
      agentId: id,
      region,
      zone: `${region}a`,
      regions: { endpoints: layout.endpoints(), home: region, attemptTimeoutMs: 2000, deadlineMs: 30_000 },
    });
  const producers = cluster.regions.map((region) => {
    const agent = agentIn(region, `demo-${region}`);
    return { region, agent, producer: new RegionProducer({ name: `demo-${region}`, agent, buckets, writeQuorum: 2, canary, topic: cluster.topic, partitions: cluster.partitions, pauseMs: 100 }) };
  });
  for (const p of producers) {
    await p.agent.register();
    p.producer.start();
  }
  const observer = agentIn(cluster.regions[0], 'demo-observer');
  const consumer = new TailingConsumer(agentIn(cluster.regions[1], 'demo-consumer'), buckets, canary, cluster.topic, cluster.partitions);

  console.log(`\ncluster ${cluster.clusterId}, regions ${cluster.regions.join(', ')} (preferred: ${cluster.regions[0]}), write quorum 2`);
  for (const region of layout.regions) console.log(`  ${region}: node ${layout.url(region)} pid ${layout.nodes.get(region)!.child!.pid}, store link ${layout.link(region).url}`);
  console.log(`admin token: ${await layout.adminToken()}`);
  console.log(`commands: ${HELP}\n`);

  const admin = await layout.adminToken();
  const commands: Record<string, (region: string, arg?: string) => Promise<unknown> | unknown> = {
    kill: (r) => layout.kill(r),
    down: async (r) => {
      await layout.kill(r);
      layout.link(r).cut();
      buckets.lose(r);
    },
    up: async (r) => {
      buckets.restore(r);
      layout.link(r).restore();
      layout.link(r).setLatency(...((latency ? [80, 100] : [0, 0]) as [number, number]));
      if (!layout.isRunning(r)) await layout.startNode(r);
    },
    restart: (r) => (layout.isRunning(r) ? undefined : layout.startNode(r)),
    cut: (r) => layout.link(r).cut(),
    stall: (r) => layout.link(r).stall(),
    restore: (r) => layout.link(r).restore(),
    slow: (r, ms) => {
      const extra = Number(ms ?? 500);
      layout.link(r).setLatency((latency ? 80 : 0) + extra, (latency ? 100 : 0) + extra);
    },
    drain: (r) => callAny(layout, 'POST', `/admin/v1/regions/${r}/drain`, admin),
    undrain: (r) => callAny(layout, 'POST', `/admin/v1/regions/${r}/undrain`, admin),
  };
  let quitting = false;
  const rl = createInterface({ input: process.stdin });
  rl.on('line', (line) => {
    const [cmd, region, arg] = line.trim().split(/\s+/);
    if (!cmd) return;
    if (cmd === 'quit' || cmd === 'exit') return void (quitting = true);
    if (cmd === 'help' || !commands[cmd] || !layout.regions.includes(region)) return void console.log(`commands: ${HELP}`);
    Promise.resolve(commands[cmd](region, arg)).then(
      () => console.log(`> ${line.trim()}: done`),
      (e) => console.log(`> ${line.trim()}: ${(e as Error).message}`),
    );
  });
  process.on('SIGINT', () => (quitting = true));

  const counted = new Map(producers.map((p) => [p.region, 0]));
  while (!quitting) {
    await sleep(1000);
    const rates = producers.map((p) => {
      const n = p.producer.commits.length;
      const rate = n - counted.get(p.region)!;
      counted.set(p.region, n);
      return `${p.region} ${String(rate).padStart(2)}`;
    });
    const recent = producers.flatMap((p) => p.producer.commits.slice(-20).map((c) => c.latencyMs)).sort((a, b) => a - b);
    const leader = await observer.controlPlane().then((cp) => cp.leaderRegion ?? 'none', () => 'unknown');
    const lag = await consumer.poll().catch(() => consumer.lastLag);
    const down = layout.regions.filter((r) => !layout.isRunning(r) || layout.link(r).mode !== 'open');
    console.log(
      `${new Date().toISOString().slice(11, 19)} leader ${leader.padEnd(9)} | commits/s ${rates.join(', ')} | p50 ${Math.round(recent[Math.floor(recent.length / 2)] ?? 0)} ms | lag ${lag} records | consumed ${consumer.consumed}${consumer.problems.length ? ` | PROBLEMS ${consumer.problems.length}: ${consumer.problems.at(-1)}` : ''}${down.length ? ` | impaired: ${down.join(', ')}` : ''}`,
    );
  }
  rl.close();
  console.log('stopping...');
  await Promise.all(producers.map((p) => p.producer.stop()));
  await layout.close();
  process.exit(0);
}

const HELP = 'down <region> (kill node, cut link, lose bucket) | up <region> | kill <region> | restart <region> | cut|stall|restore <region> | slow <region> [ms] | drain|undrain <region> | quit';

/** Reads each partition from where it got to, checking every record's canary; lag is what it has not read yet. */
class TailingConsumer {
  private readonly positions: number[];
  consumed = 0;
  lastLag = 0;
  readonly problems: string[] = [];

  constructor(
    private readonly agent: ReferenceAgent,
    private readonly buckets: RegionBuckets,
    private readonly canary: string,
    private readonly topic: string,
    partitions: number,
  ) {
    this.positions = new Array(partitions).fill(0);
  }

  async poll(): Promise<number> {
    const plan = await this.agent.fetchPlan({
      partitions: this.positions.map((offset, partition) => ({ topic: this.topic, partition, offset, maxBytes: 64 * 1024 })),
      maxBytes: 256 * 1024,
    });
    let lag = 0;
    for (const part of plan.partitions) {
      for (const b of part.batches) {
        if (b.baseOffset !== this.positions[part.partition]) continue;
        const read = await this.buckets.read(b.replicas, b.objectKey, b.byteOffset, b.byteLength);
        if (!read.bytes) {
          this.problems.push(`${part.partition}@${b.baseOffset} unreadable from every replica`);
          break;
        }
        const records = decodeBatch(this.canary, read.bytes);
        if ('error' in records) this.problems.push(`${part.partition}@${b.baseOffset}: ${records.error}`);
        else this.consumed += records.length;
        this.positions[part.partition] = b.lastOffset + 1;
      }
      lag += part.highWatermark - this.positions[part.partition];
    }
    this.lastLag = lag;
    return lag;
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
