import type { Clock } from '../../shared/clock';
import { isoTime } from '../../shared/clock';
import type { RequestContext } from '../../shared/actor';
import type { CursorCodec } from '../../shared/cursor';
import { newId } from '../../shared/ids';
import type { AuditEvent, AuditStore } from './store';

export interface AuditInput {
  action: string;
  tenantId: string | null;
  target: { type: string; id: string | null };
  result: 'success' | 'failure';
  errorCode?: string;
  status?: number;
  /** The answer was an idempotent replay of an earlier request (nothing changed). */
  replay?: boolean;
}

export function auditService(deps: { store: AuditStore; clock: Clock; cursors: CursorCodec }) {
  const { store, clock, cursors } = deps;
  return {
    async record(ctx: RequestContext, input: AuditInput): Promise<AuditEvent> {
      const now = clock.now();
      const event: AuditEvent = {
        id: newId('auditEvent', now),
        at: isoTime(now),
        principal: { type: ctx.actor.kind, id: ctx.actor.id },
        requestId: ctx.requestId,
        ...input,
      };
      await store.put(event);
      return event;
    },
    async listForTenant(tenantId: string, limit: number, cursor?: string) {
      const scope = `T#${tenantId}:audit`;
      const page = await store.listForTenant(tenantId, limit, cursors.decode(scope, cursor));
      return { items: page.items, nextCursor: cursors.encode(scope, page.lastKey) ?? null };
    },
    async listAll(limit: number, cursor?: string) {
      const scope = 'admin:audit';
      const page = await store.listAll(limit, cursors.decode(scope, cursor));
      return { items: page.items, nextCursor: cursors.encode(scope, page.lastKey) ?? null };
    },
  };
}
export type AuditService = ReturnType<typeof auditService>;
