import type { QueueOverview } from '../services/ops/queues';
import type { MetadataService } from '../services/metadata/service';

/** Namespace and names the CDK alarms watch (infra/cdk/alarms.ts). */
export const CLOUD_METRICS = { namespace: 'Harbormaster', queueJobsFailed: 'QueueJobsFailed', leaseTakeovers: 'LeaseTakeovers' } as const;

/**
 * Publishes what the alarms need and the load balancer cannot see, as CloudWatch embedded
 * metric format: one JSON line a minute on stdout, which the awslogs driver ships and
 * CloudWatch turns into metrics (no SDK call, no credentials). Jobs that exhausted their
 * retries are counted by worker processes (the counts are shared in Redis, so one role reports
 * them); leases this node took over by nodes that lead clusters.
 */
export function cloudMetrics(opts: {
  region: string;
  queues?: QueueOverview;
  metadata?: Pick<MetadataService, 'status'>;
  write?: (line: string) => void;
  now?: () => number;
}) {
  const write = opts.write ?? ((line: string) => process.stdout.write(`${line}\n`));
  const now = opts.now ?? Date.now;
  let failedBefore: Map<string, number> | undefined;
  const epochs = new Map<string, number>();

  async function failedSinceLast(): Promise<number> {
    if (!opts.queues) return 0;
    const counts = await opts.queues.counts();
    let delta = 0;
    const current = new Map(counts.map((q) => [q.name, q.counts.failed ?? 0]));
    // Failed jobs age out after a week: a count that went down adds nothing.
    if (failedBefore) for (const [name, n] of current) delta += Math.max(0, n - (failedBefore.get(name) ?? 0));
    failedBefore = current;
    return delta;
  }

  function takeoversSinceLast(): number {
    if (!opts.metadata) return 0;
    let taken = 0;
    const led = new Set<string>();
    for (const s of opts.metadata.status()) {
      if (s.phase !== 'serving') continue;
      led.add(s.cluster);
      if (epochs.get(s.cluster) !== s.epoch) taken++;
      epochs.set(s.cluster, s.epoch);
    }
    for (const c of epochs.keys()) if (!led.has(c)) epochs.delete(c);
    return taken;
  }

  const tick = async () => {
    const metrics: Record<string, number> = {};
    if (opts.queues) metrics[CLOUD_METRICS.queueJobsFailed] = await failedSinceLast();
    if (opts.metadata) metrics[CLOUD_METRICS.leaseTakeovers] = takeoversSinceLast();
    write(
      JSON.stringify({
        _aws: {
          Timestamp: now(),
          CloudWatchMetrics: [{ Namespace: CLOUD_METRICS.namespace, Dimensions: [['Region']], Metrics: Object.keys(metrics).map((Name) => ({ Name, Unit: 'Count' })) }],
        },
        Region: opts.region,
        ...metrics,
      }),
    );
  };

  let timer: NodeJS.Timeout | undefined;
  return {
    tick,
    start(everyMs = 60_000) {
      void tick().catch(() => undefined);
      timer = setInterval(() => void tick().catch(() => undefined), everyMs);
      timer.unref();
    },
    stop() {
      clearInterval(timer);
    },
  };
}
