import { Type } from 'typebox';
import { Id, IsoTime } from './common';

export const AuditEvent = Type.Object({
  id: Id('auditEvent'),
  at: IsoTime,
  tenantId: Type.Union([Type.String(), Type.Null()]),
  principal: Type.Object({ type: Type.String(), id: Type.String() }),
  action: Type.String({ examples: ['cluster.create'] }),
  target: Type.Object({ type: Type.String(), id: Type.Union([Type.String(), Type.Null()]) }),
  result: Type.Union([Type.Literal('success'), Type.Literal('failure')]),
  errorCode: Type.Optional(Type.String()),
  status: Type.Optional(Type.Integer()),
  replay: Type.Optional(Type.Boolean({ description: 'The answer was an idempotent replay of an earlier request' })),
  requestId: Type.String(),
});
