import type { Db, Item } from '../../shared/dynamo';
import { groupCommit } from '../../shared/group-commit';
import { tenantAuditPk } from '../../shared/keys';

export interface AuditEvent {
  id: string;
  at: string;
  tenantId: string | null;
  principal: { type: string; id: string };
  action: string;
  target: { type: string; id: string | null };
  result: 'success' | 'failure';
  /** For failures: the problem code the caller received. */
  errorCode?: string;
  status?: number;
  /** An idempotent replay of an earlier request: nothing changed, the first answer was sent again. */
  replay?: boolean;
  requestId: string;
}

const VENDOR_PARTITION = 'AUDIT#VENDOR';

/**
 * Audit events: a tenant's events in its own partition (`T#<tenant>#AUDIT`, newest first by
 * sort key), vendor-level ones in `AUDIT#VENDOR`, and every event in GSI `gsi1` under
 * `AUDIT` for the admin console.
 */
export function auditStore(db: Db, table: string) {
  const toItem = (e: AuditEvent): Item => ({
    pk: e.tenantId ? tenantAuditPk(e.tenantId) : VENDOR_PARTITION,
    sk: `${e.at}#${e.id}`,
    gsi1pk: 'AUDIT',
    gsi1sk: `${e.at}#${e.id}`,
    ...e,
  });
  const fromItem = ({ pk: _pk, sk: _sk, gsi1pk: _g, gsi1sk: _s, ...rest }: Item) => rest as unknown as AuditEvent;
  // Events written while others are in flight share a store request (group commit); each
  // put still resolves only once its own event is durable. Vendor events go under key ''.
  const writes = groupCommit<Item>({ maxBatch: 25, maxInFlight: 4, flush: (tenantId, items) => (tenantId ? db.forTenant(tenantId) : db).putMany(table, items) });

  return {
    /** Durable once it resolves. */
    async put(e: AuditEvent) {
      await writes(e.tenantId ?? '', toItem(e));
    },
    async listForTenant(tenantId: string, limit: number, startKey?: Item) {
      const page = await db.forTenant(tenantId).query({
        table,
        keyCondition: 'pk = :pk',
        values: { ':pk': tenantAuditPk(tenantId) },
        limit,
        startKey,
        forward: false,
      });
      return { items: page.items.map(fromItem), lastKey: page.lastKey };
    },
    async listAll(limit: number, startKey?: Item) {
      const page = await db.query({
        table,
        index: 'gsi1',
        keyCondition: 'gsi1pk = :p',
        values: { ':p': 'AUDIT' },
        limit,
        startKey,
        forward: false,
      });
      return { items: page.items.map(fromItem), lastKey: page.lastKey };
    },
  };
}
export type AuditStore = ReturnType<typeof auditStore>;
