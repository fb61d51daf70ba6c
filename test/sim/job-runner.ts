import { createHash, randomUUID } from 'node:crypto';
import type { ReferenceAgent } from './agent';
import { ApiError } from './agent';
import type { RegionBuckets } from './region-buckets';

/**
 * The reference agent's job side: it polls for jobs and does them against the customer's
 * buckets (one directory per region), reporting only metadata: object keys, byte ranges,
 * offsets, checksums, listing times. Record bytes stay in the buckets.
 *
 * - delete-files: deletes each object in every location (gone already counts as deleted);
 * - compaction: copies the input batches back to back into a new object in every region
 *   (committed once the write quorum holds it) and reports where each batch now is;
 * - orphan-scan: lists the region's bucket (keys with their last-modified times);
 * - replicate: copies the object from a region that has it, checks its checksum, writes it.
 */
export interface RunnerStats {
  done: Record<string, number>;
  refused: number;
  cancelled: number;
  failed: number;
}

const checksumOf = (body: Buffer) => `sha256:${createHash('sha256').update(body).digest('hex').slice(0, 32)}`;

export class JobRunner {
  readonly stats: RunnerStats = { done: {}, refused: 0, cancelled: 0, failed: 0 };
  private running = false;
  private loop: Promise<void> | undefined;

  constructor(
    readonly agent: ReferenceAgent,
    readonly buckets: RegionBuckets,
    readonly writeQuorum = 1,
  ) {}

  /** Takes and does one job; false when none came within `waitMs`. */
  async runOnce(waitMs = 1000): Promise<boolean> {
    const job = await this.agent.pollJob(waitMs);
    if (!job) return false;
    await this.execute(job);
    return true;
  }

  /** Runs jobs until none comes within `waitMs`; resolves with how many it did. */
  async drain(waitMs = 500): Promise<number> {
    let n = 0;
    while (await this.runOnce(waitMs)) n++;
    return n;
  }

  start(waitMs = 5000): void {
    this.running = true;
    this.loop = (async () => {
      while (this.running) {
        try {
          await this.runOnce(waitMs);
        } catch {
          await new Promise((r) => setTimeout(r, 200));
        }
      }
    })();
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }

  /** Does a leased job (heartbeating while it works) and reports the result. */
  async execute(job: { jobId: string; type: string; payload: any; leaseToken: string; leaseExpiresAt: string }): Promise<void> {
    let cancelled = false;
    const every = Math.max(200, (Date.parse(job.leaseExpiresAt) - Date.now()) / 3);
    const beat = setInterval(() => {
      this.agent.jobHeartbeat(job.jobId, job.leaseToken).then(
        (r) => (cancelled ||= r.status === 'cancelled'),
        () => undefined,
      );
    }, every);
    try {
      const result = await this.work(job.type, job.payload);
      if (cancelled) {
        this.stats.cancelled++;
        return;
      }
      const out = await this.agent.completeJob(job.jobId, job.leaseToken, result);
      if (out.outcome === 'refused') this.stats.refused++;
      else this.stats.done[job.type] = (this.stats.done[job.type] ?? 0) + 1;
    } catch (e) {
      if (e instanceof ApiError && e.status === 409) return; // the lease moved on: someone else does it
      this.stats.failed++;
      await this.agent.failJob(job.jobId, job.leaseToken, `${job.type} failed: ${(e as Error).message.slice(0, 200)}`, true).catch(() => undefined);
    } finally {
      clearInterval(beat);
    }
  }

  private readable(locations: { region: string; bucket: string }[]) {
    return locations.filter((l) => this.buckets.urlOf(l.region) === l.bucket);
  }

  private async work(type: string, p: any): Promise<unknown> {
    switch (type) {
      case 'delete-files': {
        for (const o of p.objects) for (const l of this.readable(o.locations)) await this.buckets.delete(l.region, o.objectKey);
        return { deleted: p.objects.map((o: any) => o.objectKey) };
      }
      case 'orphan-scan': {
        if (this.buckets.urlOf(p.region) !== p.bucket) throw new Error('not our bucket');
        return { objects: (await this.buckets.list(p.region)).slice(0, p.maxKeys) };
      }
      case 'replicate': {
        let body: Buffer | undefined;
        for (const l of this.readable(p.sources)) {
          const b = await this.buckets.get(l.region, p.objectKey);
          if (b && checksumOf(b) === p.checksum) {
            body = b;
            break;
          }
        }
        if (!body) throw new Error('no readable copy with the expected checksum');
        if (this.buckets.urlOf(p.target.region) !== p.target.bucket) throw new Error('target is not our bucket');
        await this.buckets.put(p.target.region, p.objectKey, body);
        return { checksum: checksumOf(body) };
      }
      case 'compaction': {
        const sources = new Map<string, { region: string; bucket: string }[]>(p.sources.map((s: any) => [s.fileId, s.locations]));
        const parts: Buffer[] = [];
        const batches = [];
        let at = 0;
        for (const b of p.batches) {
          const read = await this.buckets.read(sources.get(b.fileId) ?? [], b.objectKey, b.byteOffset, b.byteLength);
          if (!read.bytes) throw new Error(`input ${b.fileId} unreadable`);
          parts.push(read.bytes);
          batches.push({ baseOffset: b.baseOffset, lastOffset: b.lastOffset, inputFileId: b.fileId, inputByteOffset: b.byteOffset, byteOffset: at, byteLength: b.byteLength });
          at += b.byteLength;
        }
        const fileId = `compacted-${randomUUID()}`;
        const objectKey = `segments/${fileId}`;
        const replicas = await this.buckets.write(objectKey, Buffer.concat(parts), this.writeQuorum);
        return { fileId, objectKey, sizeBytes: at, replicas, segments: [{ topic: p.topic, partition: p.partition, batches }] };
      }
      default:
        throw new Error(`unknown job type ${type}`);
    }
  }
}
