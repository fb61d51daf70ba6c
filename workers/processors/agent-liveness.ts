import { systemContext } from '../../shared/actor';
import type { FleetService } from '../../services/agents/service';

/** Marks agents silent past the dead threshold as dead (persisted and audited). */
export const agentLivenessProcessor = (fleet: FleetService) => () => fleet.sweep(systemContext('agent-liveness'));
