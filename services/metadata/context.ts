import { randomBytes } from 'node:crypto';
import type { Clock } from '../../shared/clock';
import type { Db } from '../../shared/dynamo';
import { unavailable } from '../../shared/errors';
import { journalStore, type JournalStore } from './journal-store';
import { leaseStore, type LeaseStore } from './lease-store';
import type { Placement } from './region-policy';
import { logRuntime, type LogRuntime, type LogSettingsInput } from './log-settings';
import { snapshotStore, type SnapshotStore } from './snapshot-store';

/** What every sequencer of one service shares: stores, identity, timings and limits. */

export interface MetadataLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface MetadataServiceDeps {
  db: Db;
  /** The metadata table (see infra/tables.ts). */
  table: string;
  clock: Clock;
  /** Unique per running process; a node may take over its own (earlier) lease at once. */
  nodeId: string;
  /** Where other nodes send a client that reached them instead of the leader (host:port or URL). */
  advertisedAddress: string;
  /** The region this node runs in (recorded on the leases it holds). */
  region?: string;
  /**
   * Multi-region clusters: the region registry and the timings and budgets of their leadership
   * (region-policy.ts). Without it every node may lead every cluster, as on one region.
   */
  placement?: Omit<Placement, 'region' | 'nodeId'>;
  /** Lease length (default 10 s). */
  leaseMs?: number;
  /** Renewal period (default leaseMs / 3). */
  renewEveryMs?: number;
  /** Snapshot after this many journal entries (default 1,000)... */
  snapshotEveryEntries?: number;
  /** ...or this long after the last snapshot when anything changed (default 60 s). */
  snapshotEveryMs?: number;
  logger?: MetadataLogger;
  tuning?: Partial<Tuning>;
  /** Fault injection for tests only; production passes none and pays nothing for it. */
  hooks?: MetadataTestHooks;
  /** Retention, file deletion grace, group coordination (log-settings.ts). */
  log?: LogSettingsInput;
}

/**
 * What a test needs to stall or crash a node the way a real process stalls (GC pause,
 * SIGSTOP) or dies (SIGKILL). Kept out of the service's own API.
 */
export interface MetadataTestHooks {
  /** Awaited at every step of every sequencer of the node; a test holds it to stall the node. */
  step(): Promise<void>;
  /** Receives the node's crash switch: stop every sequencer at once, release nothing. */
  attach(controls: { crash(): void }): void;
}

/** The default chunk: its base64 form is 128,000 characters, under V8's 131,072-byte large-object size (see Tuning). */
export const SNAPSHOT_CHUNK_BYTES = 96_000;

export interface Tuning {
  /** Payload bytes per journal entry (DynamoDB items stop at 400 KB). */
  maxEntryBytes: number;
  /**
   * Bytes per snapshot chunk item. Writing an item costs the event loop time in proportion
   * to its size (serialising, signing; the embedded store also parses and stores it in this
   * process), in few long tasks: smaller chunks keep each task short. Capacity units are per
   * KB either way. Under 98,000 bytes a chunk's base64 text (and the JSON around it) stays
   * under V8's 128 KiB large-object size: from 100,000 bytes on, each of those strings is
   * allocated in the old generation, a put cost about 3 times the CPU of a 96,000-byte one
   * (6.3 against 2.2 ms, embedded store) and a delete of 4 chunks 5 times (9 against 1.7 ms,
   * it reads them): those were the longest tasks while a 1M-batch snapshot was written
   * (`SNAPSHOT_CHUNK_BYTES`; README, Benchmarks).
   */
  snapshotChunkBytes: number;
  /** Requests waiting per cluster before new ones get a retryable 503. */
  maxQueuedRequests: number;
  /** Requests taken into one group (one or more entries). */
  maxGroupRequests: number;
}

export interface SequencerContext {
  clock: Clock;
  nodeId: string;
  advertisedAddress: string;
  region: string;
  placement?: Placement;
  incarnation: string;
  leaseMs: number;
  renewEveryMs: number;
  snapshotEveryEntries: number;
  snapshotEveryMs: number;
  tuning: Tuning;
  leases: LeaseStore;
  journal: JournalStore;
  snapshots: SnapshotStore;
  logger: MetadataLogger;
  hooks?: MetadataTestHooks;
  log: LogRuntime;
  /** A journal writer id unique to this append attempt in this process. */
  nextWriter(): string;
}

const quiet: MetadataLogger = { debug() {}, info() {}, warn() {}, error() {} };

export function buildContext(deps: MetadataServiceDeps): SequencerContext {
  const leaseMs = deps.leaseMs ?? 10_000;
  const incarnation = randomBytes(8).toString('hex');
  let appends = 0;
  return {
    clock: deps.clock,
    nodeId: deps.nodeId,
    advertisedAddress: deps.advertisedAddress,
    region: deps.region ?? 'local',
    placement: deps.placement && { ...deps.placement, region: deps.region ?? 'local', nodeId: deps.nodeId },
    incarnation,
    leaseMs,
    renewEveryMs: deps.renewEveryMs ?? Math.floor(leaseMs / 3),
    snapshotEveryEntries: deps.snapshotEveryEntries ?? 1000,
    snapshotEveryMs: deps.snapshotEveryMs ?? 60_000,
    tuning: { maxEntryBytes: 360_000, snapshotChunkBytes: SNAPSHOT_CHUNK_BYTES, maxQueuedRequests: 10_000, maxGroupRequests: 2_000, ...deps.tuning },
    leases: leaseStore(deps.db, deps.table),
    journal: journalStore(deps.db, deps.table),
    snapshots: snapshotStore(deps.db, deps.table),
    logger: deps.logger ?? quiet,
    hooks: deps.hooks,
    log: logRuntime(deps.log, leaseMs, deps.db, deps.table),
    nextWriter: () => `${incarnation}:${++appends}`,
  };
}

/**
 * The retryable answer of a node that does not lead the cluster, naming the leader's address
 * when it is known and is not this node's own: a client is never sent back to where it is.
 */
export function notLeader(ctx: Pick<SequencerContext, 'advertisedAddress'>, leader: string | null | undefined) {
  const elsewhere = leader && leader !== ctx.advertisedAddress ? leader : null;
  return unavailable('not_leader', 'This node does not lead the cluster right now; retry (against the leader, when one is named).', { leader: elsewhere });
}
