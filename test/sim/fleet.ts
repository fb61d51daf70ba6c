import { ReferenceAgent, TokenSource } from './agent';
import type { AgentRoleIdentity } from './agent-identity';

export interface FleetOptions {
  baseUrl: string;
  /** An agent key, or `identity`: the fleet's AWS role (no static secret). */
  agentKey?: string;
  identity?: AgentRoleIdentity;
  count: number;
  /** Registrations in flight at once while the fleet comes up. */
  concurrency?: number;
  zones?: string[];
  idPrefix?: string;
  stats?: () => Record<string, number>;
}

/**
 * N reference agents in one process, sharing one token (as agents behind one key cache it).
 * Each starts heartbeating as soon as it has registered, as in a real rollout.
 */
export async function startFleet(o: FleetOptions) {
  const tokens = new TokenSource(o.baseUrl, o.identity ?? o.agentKey!);
  const zones = o.zones ?? ['us-east-1a', 'us-east-1b', 'us-east-1c'];
  const agents = Array.from(
    { length: o.count },
    (_, i) => new ReferenceAgent({ baseUrl: o.baseUrl, agentKey: o.agentKey, identity: o.identity, agentId: `${o.idPrefix ?? 'sim'}-${i}`, zone: zones[i % zones.length], tokenSource: tokens }),
  );
  let next = 0;
  await Promise.all(
    Array.from({ length: o.concurrency ?? 64 }, async () => {
      while (next < agents.length) await agents[next++].start(o.stats);
    }),
  );
  return {
    agents,
    intervalMs: agents[0]?.intervalMs ?? 0,
    /** Forgets what was measured so far (after a warm-up). */
    resetStats() {
      for (const a of agents) {
        a.heartbeatLatenciesMs.length = 0;
        a.heartbeatErrors = 0;
      }
    },
    latencies: () => agents.flatMap((a) => a.heartbeatLatenciesMs).sort((a, b) => a - b),
    errors: () => agents.reduce((s, a) => s + a.heartbeatErrors, 0),
    stop: () => Promise.all(agents.map((a) => a.stop())),
  };
}
