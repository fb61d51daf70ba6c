import { notFound } from '../../shared/errors';
import type { GroupCoordinator } from './group-coordinator';
import type { ClusterState } from './state';

/**
 * What customers see of consumer groups: the coordinator's live view (state, members, their
 * assignments) joined with the journaled offsets and each partition's high watermark.
 */
export interface GroupSummary {
  group: string;
  state: string;
  protocolType: string;
  members: number;
}

export interface GroupList {
  items: GroupSummary[];
  /** The last group of this page, when more follow. */
  after: string | null;
}

export interface GroupDescription extends GroupSummary {
  protocol: string;
  generation: number;
  leader: string;
  memberDetails: { memberId: string; groupInstanceId: string | null; clientId: string; clientHost: string; assignment: { topic: string; partitions: number[] }[] | null }[];
  offsets: { topic: string; partition: number; committedOffset: number; metadata: string; leaderEpoch: number; highWatermark: number; lag: number }[];
  totalLag: number;
}

export function listGroups(state: ClusterState, groups: GroupCoordinator, opts: { limit: number; after?: string }): GroupList {
  const names = [...new Set([...state.groups.keys(), ...groups.names()])].filter((n) => opts.after === undefined || n > opts.after).sort();
  const page = names.slice(0, opts.limit);
  return {
    items: page.map((name) => summary(name, groups)),
    after: names.length > opts.limit ? page[page.length - 1] : null,
  };
}

function summary(name: string, groups: GroupCoordinator): GroupSummary {
  const live = groups.describe(name)!;
  return { group: name, state: live.phase, protocolType: live.protocolType, members: live.members.length };
}

export function describeGroup(state: ClusterState, groups: GroupCoordinator, name: string): GroupDescription {
  const live = groups.describe(name);
  if (!live) throw notFound('group_not_found', `Consumer group ${name} does not exist.`);
  const offsets: GroupDescription['offsets'] = [];
  let totalLag = 0;
  const record = state.groups.get(name);
  for (const topic of [...(record?.offsets.keys() ?? [])].sort()) {
    const t = record!.offsets.get(topic)!;
    for (let p = 0; p < t.span; p++) {
      if (t.offset[p] < 0) continue;
      const hwm = state.partition(topic, p)?.highWatermark ?? -1;
      const lag = hwm < 0 ? 0 : Math.max(0, hwm - t.offset[p]);
      totalLag += lag;
      offsets.push({ topic, partition: p, committedOffset: t.offset[p], metadata: t.metadata?.get(p) ?? '', leaderEpoch: t.leaderEpoch[p], highWatermark: hwm, lag });
    }
  }
  return {
    ...summary(name, groups),
    protocol: live.protocol,
    generation: live.generation,
    leader: live.leader,
    memberDetails: live.members.map((m) => ({
      memberId: m.id,
      groupInstanceId: m.instanceId,
      clientId: m.clientId,
      clientHost: m.clientHost,
      assignment: live.protocolType === 'consumer' && m.assignment ? decodeConsumerAssignment(m.assignment) : null,
    })),
    offsets,
    totalLag,
  };
}

/**
 * Kafka's ConsumerProtocolAssignment (versions 0 to 3 share this prefix): int16 version, then
 * an int32 count of topics, each an int16-length string and an int32 count of int32
 * partitions. Null when the bytes are not that (another assignor's format).
 */
export function decodeConsumerAssignment(bytes: Uint8Array): { topic: string; partitions: number[] }[] | null {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  try {
    let pos = 2;
    const topics = b.readInt32BE(pos);
    pos += 4;
    if (topics < 0 || topics > 100_000) return null;
    const out: { topic: string; partitions: number[] }[] = [];
    for (let i = 0; i < topics; i++) {
      const len = b.readInt16BE(pos);
      pos += 2;
      if (len < 0 || pos + len > b.length) return null;
      const topic = b.toString('utf8', pos, pos + len);
      pos += len;
      const n = b.readInt32BE(pos);
      pos += 4;
      if (n < 0 || pos + n * 4 > b.length) return null;
      const partitions: number[] = [];
      for (let k = 0; k < n; k++, pos += 4) partitions.push(b.readInt32BE(pos));
      out.push({ topic, partitions });
    }
    return out;
  } catch {
    return null;
  }
}
