import path from 'node:path';
import { NODE_ID, type Config } from '../shared/config';
import { randomBase62 } from '../shared/crypto';
import { readOrCreateSecretFile } from '../shared/secret-files';

/**
 * This node's identity in the sequencer leases: HM_NODE_ID, else the data directory's own id
 * (created once, kept in `<data>/node-id`). It outlives the process, so a restarted node takes
 * its previous life's leases over at once instead of waiting them out; two live processes must
 * never share one (they would take each other's leases in turn: safe, but not available).
 */
export function nodeIdOf(config: Config): string {
  if (config.sequencer.nodeId) return config.sequencer.nodeId;
  const file = path.join(config.dataDir, 'node-id');
  const id = readOrCreateSecretFile(file, () => `node-${randomBase62(12)}`).trim();
  if (!NODE_ID.test(id)) throw new Error(`${file} does not hold a node id (letters, digits, ".", "_", ":", "-"; 1..128); fix it or set HM_NODE_ID`);
  return id;
}
