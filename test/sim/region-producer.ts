import { randomUUID } from 'node:crypto';
import { ApiError, type ReferenceAgent } from './agent';
import { QuorumNotReachedError, type RegionBuckets } from './region-buckets';
import { digest, encodeBatch } from './records';

/**
 * A producer behind one reference agent of a multi-region cluster: it writes files of a few
 * record batches to every region's bucket, commits each once the write quorum holds it, and
 * keeps retrying the same commit (same fileId) until it is acknowledged, so that nothing it
 * was told is durable goes unaccounted and nothing is written twice. What it keeps is what the
 * verifier checks: every acknowledged batch with its offsets and the digest of its bytes.
 */
export interface AckedBatch {
  topic: string;
  partition: number;
  baseOffset: number;
  lastOffset: number;
  fileId: string;
  objectKey: string;
  byteOffset: number;
  byteLength: number;
  digest: string;
  producer: string;
  firstSeq: number;
  count: number;
}

export interface AckedCommit {
  fileId: string;
  sentAt: number;
  ackAt: number;
  latencyMs: number;
  /** The control-plane endpoint that acknowledged it. */
  servedBy: string;
  /** Attempts the agent needed (redirects and fail-overs included). */
  attempts: number;
}

export interface ProducerOptions {
  name: string;
  agent: ReferenceAgent;
  buckets: RegionBuckets;
  writeQuorum: number;
  canary: string;
  topic: string;
  partitions: number;
  batchesPerFile?: number;
  /** Pause between commits (default none: as fast as acknowledgements come). */
  pauseMs?: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class RegionProducer {
  readonly acked: AckedBatch[] = [];
  readonly commits: AckedCommit[] = [];
  /** Commits the agent gave up on (after its own fail-over) before a retry succeeded. */
  readonly failures: { at: number; code: string }[] = [];
  /** Commits refused outright (4xx): a bug in the producer or the service. */
  readonly rejections: { fileId: string; code: string }[] = [];
  /** File ids being committed when the producer stopped: they may or may not be in the log. */
  readonly unresolved: string[] = [];
  private nextSeq = 0;
  private running = false;
  private loop: Promise<void> | undefined;

  constructor(readonly opts: ProducerOptions) {}

  start(): void {
    this.running = true;
    this.loop = this.run();
  }

  /** Stops after the commit in hand (acknowledged, or given up by the agent: then it is unresolved). */
  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }

  private async run(): Promise<void> {
    const o = this.opts;
    while (this.running) {
      const fileId = `${o.name}-${randomUUID()}`;
      const objectKey = `segments/${fileId}`;
      const parts: { partition: number; firstSeq: number; count: number; bytes: Buffer }[] = [];
      for (let i = 0; i < (o.batchesPerFile ?? 3); i++) {
        const count = 1 + Math.floor(Math.random() * 4);
        const firstSeq = this.nextSeq;
        this.nextSeq += count;
        parts.push({ partition: Math.floor(Math.random() * o.partitions), firstSeq, count, bytes: encodeBatch(o.canary, o.name, firstSeq, count) });
      }
      const body = Buffer.concat(parts.map((p) => p.bytes));
      let replicas;
      try {
        replicas = await o.buckets.write(objectKey, body, o.writeQuorum);
      } catch (e) {
        if (!(e instanceof QuorumNotReachedError)) throw e;
        this.failures.push({ at: Date.now(), code: 'quorum_not_reached' });
        await sleep(200);
        continue;
      }
      let offset = 0;
      const commit = {
        fileId,
        objectKey,
        sizeBytes: body.length,
        replicas,
        batches: parts.map((p) => {
          const b = { topic: o.topic, partition: p.partition, byteOffset: offset, byteLength: p.bytes.length, recordCount: p.count, maxTimestamp: Date.now() };
          offset += p.bytes.length;
          return b;
        }),
      };
      await this.commit(commit, parts);
      if (o.pauseMs) await sleep(o.pauseMs);
    }
  }

  private async commit(commit: { fileId: string; objectKey: string; batches: { byteOffset: number; byteLength: number }[] }, parts: { firstSeq: number; count: number; bytes: Buffer }[]) {
    const sentAt = Date.now();
    for (;;) {
      try {
        const began = performance.now();
        const served = await this.opts.agent.commitFileServed(commit);
        const ackAt = Date.now();
        this.commits.push({ fileId: commit.fileId, sentAt, ackAt, latencyMs: performance.now() - began, servedBy: served.url, attempts: served.attempts });
        served.body.results.forEach((r: { topic: string; partition: number; baseOffset?: number; lastOffset?: number; error?: string }, i: number) => {
          if (r.error !== undefined) {
            this.rejections.push({ fileId: commit.fileId, code: r.error });
            return;
          }
          const p = parts[i];
          this.acked.push({
            topic: r.topic,
            partition: r.partition,
            baseOffset: r.baseOffset!,
            lastOffset: r.lastOffset!,
            fileId: commit.fileId,
            objectKey: commit.objectKey,
            byteOffset: commit.batches[i].byteOffset,
            byteLength: commit.batches[i].byteLength,
            digest: digest(p.bytes),
            producer: this.opts.name,
            firstSeq: p.firstSeq,
            count: p.count,
          });
        });
        return;
      } catch (e) {
        if (e instanceof ApiError && e.status > 0 && e.status < 500) {
          // Refused outright: a bug to report, not something to repeat as fast as it fails.
          this.rejections.push({ fileId: commit.fileId, code: e.code });
          this.running = false;
          return;
        }
        this.failures.push({ at: Date.now(), code: e instanceof ApiError ? e.code : String(e) });
        if (!this.running) {
          this.unresolved.push(commit.fileId);
          return;
        }
      }
    }
  }

  /** Records produced so far (acknowledged or not). */
  get produced(): number {
    return this.nextSeq;
  }
}
