/** Who is acting, as established by authentication; carried into services for audit. */
export type Actor =
  | { kind: 'admin'; id: string; roles: string[] }
  | { kind: 'api-key'; id: string; tenantId: string; scopes: string[] }
  | { kind: 'agent'; id: string; tenantId: string; clusterId: string; access: 'read-write' | 'read-only' }
  | { kind: 'system'; id: string }
  /** A cloud workload (the caller ARN STS vouched for) presenting itself at the token exchange. */
  | { kind: 'aws-identity'; id: string };

export interface RequestContext {
  actor: Actor;
  requestId: string;
}

export const systemContext = (id: string, requestId = `sys-${id}`): RequestContext => ({
  actor: { kind: 'system', id },
  requestId,
});
