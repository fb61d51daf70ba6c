import type { AppError } from '../../shared/errors';
import type { SequencerContext } from './context';
import type { WriteRequest } from './core';
import { fileCounts } from './file-lifecycle';
import { replicationSummary } from './replication';
import { GroupCoordinator } from './group-coordinator';
import { JournalTrimmer } from './journal-trimmer';
import type { JournalLayout } from './journal-stripes';
import type { LogRuntime } from './log-settings';
import { MaintenancePass, type StepOutcome } from './maintenance';
import type { SnapshotPointer } from './snapshot-store';
import type { ClusterState } from './state';
import type { ClusterRef } from './types';

/**
 * What a cluster's leader does besides answering requests, for as long as it leads: it is
 * the group coordinator, it runs maintenance passes (retention, producer and group expiry) as
 * small journal writes on a timer, and it trims the journal behind its snapshots. Built when
 * the sequencer starts serving, stopped with it; none of it outlives the leadership.
 */
export interface DutyHost {
  write(req: WriteRequest): Promise<unknown>;
  /** The leader's state (its groups' records are what the coordinator resumes from). */
  state(): ClusterState;
  /** The cluster as the last request described it (config for expiry). */
  lastCluster(): ClusterRef | undefined;
  /** The latest snapshot this leader knows of. */
  snapshotPointer(): SnapshotPointer | undefined;
}

export class LeaderDuties {
  readonly groups: GroupCoordinator;
  readonly trimmer: JournalTrimmer;
  private readonly timer: NodeJS.Timeout;
  private passRunning: Promise<void> | null = null;
  private published = '';
  private stopped = false;
  private readonly pk: string;

  constructor(
    private readonly ctx: SequencerContext & { log: LogRuntime },
    home: JournalLayout,
    private readonly host: DutyHost,
    lead: { fenceSeq: number; takenAt: number },
  ) {
    this.groups = new GroupCoordinator({
      clock: ctx.clock,
      settings: ctx.log.groups,
      budget: ctx.log.waiting,
      state: () => host.state(),
      persist: async (ops) => {
        await host.write({ kind: 'groupJournal', cluster: host.lastCluster()!, ops });
      },
    });
    this.pk = home.pk;
    this.trimmer = new JournalTrimmer(ctx, home, lead.fenceSeq, lead.takenAt);
    this.timer = setInterval(() => void this.runPass(), ctx.log.maintenanceEveryMs);
    this.timer.unref();
  }

  /**
   * One maintenance pass, step by step, then a trimming pass. Resolves when done; a pass
   * already running is joined, not doubled. Needs a cluster description (from any request).
   */
  runPass(): Promise<void> {
    this.passRunning ??= this.pass().finally(() => {
      this.passRunning = null;
    });
    return this.passRunning;
  }

  private async pass(): Promise<void> {
    const cluster = this.host.lastCluster();
    if (this.stopped || !cluster) return;
    const pass = new MaintenancePass(this.ctx.log.maintenance);
    const total = { partitions: 0, batches: 0, producers: 0, transactionalIds: 0, groups: 0 };
    try {
      for (;;) {
        if (this.stopped) return;
        const step = (await this.host.write({ kind: 'maintenance', cluster, pass, membership: this.groups })) as StepOutcome;
        for (const k of Object.keys(total) as (keyof typeof total)[]) total[k] += step.counts[k];
        if (step.done) break;
      }
    } catch (e) {
      // The leader stopped or the store failed: the next leader (or pass) starts over.
      this.ctx.logger.debug({ err: e, cluster: this.pk }, 'maintenance pass interrupted');
      return;
    }
    if (total.batches + total.producers + total.transactionalIds + total.groups > 0) this.ctx.logger.info({ cluster: this.pk, ...total }, 'maintenance pass');
    if (this.stopped) return;
    await this.publishCounts();
    await this.trimmer.trim(this.host.snapshotPointer());
  }

  /** Leaves the file counts where the customer's cluster view reads them (when they changed). */
  private async publishCounts(): Promise<void> {
    const now = this.ctx.clock.now();
    const files = fileCounts(this.host.state(), now, this.ctx.log.fileDeleteGraceMs);
    const replication = replicationSummary(this.host.state());
    const key = JSON.stringify([files, replication]);
    if (key === this.published) return;
    try {
      await this.ctx.log.stats.write(this.pk, { files, replication, at: now });
      this.published = key;
    } catch (e) {
      this.ctx.logger.warn({ err: e, cluster: this.pk }, 'could not store the file counts; the next pass retries');
    }
  }

  stop(reason: AppError): void {
    if (this.stopped) return;
    this.stopped = true;
    clearInterval(this.timer);
    this.groups.dispose(reason);
    void this.trimmer.stop();
  }

  /** Resolves once a pass in progress (its trimming included) has wound down after stop(). */
  async idle(): Promise<void> {
    await this.passRunning?.catch(() => undefined);
    await this.trimmer.stop();
  }
}
