import { DEFAULT_FILE_DELETE_GRACE_MS } from './file-lifecycle';
import { DEFAULT_GROUP_SETTINGS, type GroupSettings } from './group-protocol';
import { WaitBudget } from './group-live';
import type { Db } from '../../shared/dynamo';
import { DEFAULT_MAINTENANCE_LIMITS, type MaintenanceLimits } from './maintenance';
import { statsStore, type StatsStore } from './stats-store';

/** Settings of the log's upkeep and of group coordination, shared by a node's sequencers. */
export interface LogSettings {
  /** A marked file is due for deletion this long after its last batch went. */
  fileDeleteGraceMs: number;
  /** How often a leader runs a maintenance pass (retention, expiry, journal trimming). */
  maintenanceEveryMs: number;
  maintenance: MaintenanceLimits;
  groups: GroupSettings;
  /**
   * How long after taking over a leader keeps its own fence entry and what follows, whatever
   * the snapshots say (journal-trimmer.ts explains why); default twice the lease.
   */
  trimProtectMs: number;
}

export interface LogRuntime extends LogSettings {
  /** Waiting group requests held by this node, over all its clusters. */
  waiting: WaitBudget;
  /** Where leaders leave their clusters' file counts. */
  stats: StatsStore;
}

export interface LogSettingsInput extends Partial<Omit<LogSettings, 'groups' | 'maintenance'>> {
  groups?: Partial<GroupSettings>;
  maintenance?: Partial<MaintenanceLimits>;
}

export function logRuntime(input: LogSettingsInput | undefined, leaseMs: number, db: Db, table: string): LogRuntime {
  const groups = { ...DEFAULT_GROUP_SETTINGS, ...input?.groups };
  return {
    fileDeleteGraceMs: input?.fileDeleteGraceMs ?? DEFAULT_FILE_DELETE_GRACE_MS,
    maintenanceEveryMs: input?.maintenanceEveryMs ?? 30_000,
    maintenance: { ...DEFAULT_MAINTENANCE_LIMITS, ...input?.maintenance },
    groups,
    trimProtectMs: input?.trimProtectMs ?? 2 * leaseMs,
    waiting: new WaitBudget(groups.maxWaiting),
    stats: statsStore(db, table),
  };
}
