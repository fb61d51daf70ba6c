export const AGENT_ROLES = ['proxy', 'jobs'] as const;
export type AgentRole = (typeof AGENT_ROLES)[number];
export type AgentState = 'live' | 'suspect' | 'dead' | 'deregistered';

export interface AgentCapacity {
  cpus?: number;
  memoryBytes?: number;
  maxConnections?: number;
  networkBytesPerSecond?: number;
}

export interface AgentStats {
  bytesIn?: number;
  bytesOut?: number;
  requests?: number;
  openConnections?: number;
  cpuPercent?: number;
  memoryBytes?: number;
  lagMs?: number;
}

export interface RegisterInput {
  agentId: string;
  version: string;
  region: string;
  zone: string;
  advertisedAddress: string;
  roles: AgentRole[];
  capacity?: AgentCapacity;
}

/** The durable membership record (DynamoDB); liveness itself lives in Redis. */
export interface AgentMember extends RegisterInput {
  tenantId: string;
  clusterId: string;
  state: 'live' | 'dead' | 'deregistered';
  registeredAt: string;
  updatedAt: string;
  /** Kept when the agent dies, so the customer's view still shows them once Redis forgot. */
  lastHeartbeatAt?: string;
  lastStats?: AgentStats;
}

/** Silent for this many intervals: suspect; for the second number: dead. */
export const SUSPECT_AFTER_INTERVALS = 3;
export const DEAD_AFTER_INTERVALS = 6;

export function stateFromSilence(silentMs: number, intervalMs: number): 'live' | 'suspect' | 'dead' {
  if (silentMs >= DEAD_AFTER_INTERVALS * intervalMs) return 'dead';
  if (silentMs >= SUSPECT_AFTER_INTERVALS * intervalMs) return 'suspect';
  return 'live';
}

/** Compares dotted versions numerically (1.10.0 > 1.9.3); pre-release tags sort first. */
export function compareVersions(a: string, b: string): number {
  const [ca, pa] = a.split('-', 2);
  const [cb, pb] = b.split('-', 2);
  const na = ca.split('.').map(Number);
  const nb = cb.split('.').map(Number);
  for (let i = 0; i < 3; i++) if (na[i] !== nb[i]) return na[i] - nb[i];
  if (pa === pb) return 0;
  if (pa === undefined) return 1;
  if (pb === undefined) return -1;
  return pa < pb ? -1 : 1;
}
