import type { Clock } from '../../shared/clock';
import type { Logger } from '../../shared/logger';
import { hourKey } from './model';
import type { UsageStore } from './store';

interface Slot {
  tenantId: string;
  clusterId: string;
  hour: string;
  bytesWritten: number;
  recordsWritten: number;
  metadataRequests: number;
  /** Beats per agent: an agent counts at most one agent-hour per hour, however fast it beats. */
  beats: Map<string, number>;
  storageByteSamples: number;
  storageSamples: number;
  partitionsMax: number;
  dirty: boolean;
}

export interface UsageGauge {
  tenantId: string;
  clusterId: string;
  liveBytes: number;
  partitions: number;
}

/**
 * This process's usage counts, per cluster and hour, in memory: the commit and heartbeat
 * paths only bump numbers (no store write per request). Every flush writes each changed
 * slot's totals so far as one item per (cluster, hour, node), whole, so that a retried or
 * repeated flush changes nothing; a slot leaves memory once its hour is over and flushed. A
 * crash loses at most one flush interval of counts.
 */
export function usageMeter(deps: { store: UsageStore; clock: Clock; node: string; heartbeatIntervalMs: number; logger: Logger }) {
  // The current hour's slots by cluster id (ids are unique across tenants: no key to build on
  // the hot path), and slots of past hours until they are flushed.
  let current = new Map<string, Slot>();
  let past: Slot[] = [];
  let hour = '';
  let hourEndsAt = 0;

  function slot(tenantId: string, clusterId: string): Slot {
    const now = deps.clock.now();
    if (now >= hourEndsAt) {
      hour = hourKey(now);
      hourEndsAt = (Math.floor(now / 3_600_000) + 1) * 3_600_000;
      past.push(...current.values());
      current = new Map();
    }
    let s = current.get(clusterId);
    if (!s) {
      s = { tenantId, clusterId, hour, bytesWritten: 0, recordsWritten: 0, metadataRequests: 0, beats: new Map(), storageByteSamples: 0, storageSamples: 0, partitionsMax: 0, dirty: true };
      current.set(clusterId, s);
    }
    s.dirty = true;
    return s;
  }

  async function flush(): Promise<{ written: number; failed: number }> {
    const currentHour = hourKey(deps.clock.now());
    const flushedAt = new Date(deps.clock.now()).toISOString();
    let written = 0;
    let failed = 0;
    for (const s of [...past, ...current.values()]) {
      if (s.dirty) {
        s.dirty = false;
        let agentSeconds = 0;
        for (const n of s.beats.values()) agentSeconds += Math.min(3600, (n * deps.heartbeatIntervalMs) / 1000);
        try {
          await deps.store.putRaw({
            tenantId: s.tenantId,
            clusterId: s.clusterId,
            hour: s.hour,
            node: deps.node,
            bytesWritten: s.bytesWritten,
            recordsWritten: s.recordsWritten,
            metadataRequests: s.metadataRequests,
            agentSeconds,
            storageByteSamples: s.storageByteSamples,
            storageSamples: s.storageSamples,
            partitionsMax: s.partitionsMax,
            flushedAt,
          });
          written++;
        } catch (err) {
          s.dirty = true;
          failed++;
          deps.logger.warn({ err: (err as Error).message, clusterId: s.clusterId, hour: s.hour }, 'usage flush failed; kept for the next one');
        }
      }
    }
    // A past hour's slot leaves memory once its last counts are written.
    past = past.filter((s) => s.dirty || s.hour >= currentHour);
    for (const [id, s] of current) if (!s.dirty && s.hour < currentHour) current.delete(id);
    return { written, failed };
  }

  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> = Promise.resolve();
  return {
    /** A commit's new data (duplicates and refused batches are not counted by the caller). */
    commit(tenantId: string, clusterId: string, bytes: number, records: number) {
      const s = slot(tenantId, clusterId);
      s.bytesWritten += bytes;
      s.recordsWritten += records;
    },
    request(tenantId: string, clusterId: string) {
      slot(tenantId, clusterId).metadataRequests++;
    },
    beat(tenantId: string, clusterId: string, agentId: string) {
      const b = slot(tenantId, clusterId).beats;
      b.set(agentId, (b.get(agentId) ?? 0) + 1);
    },
    /** Storage and partitions of the clusters this node leads, sampled once per flush. */
    sample(gauges: UsageGauge[]) {
      for (const g of gauges) {
        const s = slot(g.tenantId, g.clusterId);
        s.storageByteSamples += g.liveBytes;
        s.storageSamples++;
        s.partitionsMax = Math.max(s.partitionsMax, g.partitions);
      }
    },
    flush,
    /** Slots held in memory (tests, diagnostics). */
    size: () => past.length + current.size,
    start(everyMs: number, gauges: () => Promise<UsageGauge[]>) {
      const tick = async () => {
        try {
          this.sample(await gauges());
        } catch (err) {
          deps.logger.warn({ err: (err as Error).message }, 'usage sample failed');
        }
        await flush();
      };
      timer = setInterval(() => {
        running = running.then(tick, tick);
      }, everyMs);
      timer.unref();
    },
    /** Stops the timer and writes what is left. */
    async stop() {
      clearInterval(timer);
      await running.catch(() => undefined);
      await flush();
    },
  };
}
export type UsageMeter = ReturnType<typeof usageMeter>;
