import type { ByteReader, ByteWriter } from './bytes';
import { TopicOffsets, type GroupRecord } from './group-records';
import { readDurableMember, writeDurableMember } from './ops-log';
import type { ProducerIds } from './producer-ids';

/**
 * The canonical form of producer ids and consumer groups within a state snapshot
 * (state-codec.ts): transactional ids and groups sorted by name, offsets by topic name and
 * partition, only committed partitions written.
 */
const byName = <T>(m: Map<string, T>) => [...m.keys()].sort().map((k) => [k, m.get(k)!] as const);

export function writeProducerIds(w: ByteWriter, p: ProducerIds): void {
  w.uint(p.ceiling);
  const txns = byName(p.transactional);
  w.uint(txns.length);
  for (const [id, t] of txns) {
    w.str(id);
    w.uint(t.producerId);
    w.uint(t.epoch);
    w.int(t.previousId);
    w.int(t.previousEpoch);
    w.uint(t.lastAt);
  }
}

export function readProducerIds(r: ByteReader, p: ProducerIds): void {
  p.ceiling = r.uint();
  for (let n = r.uint(); n > 0; n--) {
    const id = r.str();
    const t = { producerId: r.uint(), epoch: r.uint(), previousId: r.int(), previousEpoch: r.int(), lastAt: r.uint() };
    if (t.producerId >= p.ceiling) throw new Error(`transactional id ${id} holds producer id ${t.producerId}, above the ceiling`);
    if (p.transactional.has(id) || p.epochs.has(t.producerId)) throw new Error(`transactional id ${id} or its producer id appears twice`);
    p.transactional.set(id, t);
    p.epochs.set(t.producerId, t.epoch);
  }
}

export function writeGroups(w: ByteWriter, groups: Map<string, GroupRecord>): void {
  const list = byName(groups);
  w.uint(list.length);
  for (const [name, g] of list) {
    w.str(name);
    w.uint(g.generation);
    w.str(g.protocolType);
    w.str(g.protocol);
    w.str(g.leader);
    w.uint(g.updatedAt);
    w.uint(g.members.length);
    for (const m of g.members) {
      writeDurableMember(w, m);
      if (m.assignment === null) w.u8(0);
      else {
        w.u8(1);
        w.bytes(m.assignment);
      }
    }
    const topics = byName(g.offsets);
    w.uint(topics.length);
    for (const [topic, t] of topics) {
      w.str(topic);
      w.uint(t.count);
      for (let p = 0; p < t.span; p++) {
        if (t.offset[p] < 0) continue;
        w.uint(p);
        w.uint(t.offset[p]);
        w.int(t.leaderEpoch[p]);
        w.uint(t.committedAt[p]);
        w.str(t.metadata?.get(p) ?? '');
      }
    }
  }
}

export function readGroups(r: ByteReader, groups: Map<string, GroupRecord>): void {
  for (let n = r.uint(); n > 0; n--) {
    const name = r.str();
    if (groups.has(name)) throw new Error(`group ${name} appears twice`);
    const g: GroupRecord = { name, generation: r.uint(), protocolType: r.str(), protocol: r.str(), leader: r.str(), updatedAt: r.uint(), members: [], offsets: new Map() };
    for (let m = r.uint(); m > 0; m--) {
      const member = readDurableMember(r);
      const flag = r.u8();
      if (flag > 1) throw new Error(`bad assignment flag ${flag}`);
      member.assignment = flag === 1 ? r.bytes() : null;
      g.members.push(member);
    }
    for (let t = r.uint(); t > 0; t--) {
      const topic = r.str();
      const entries: [number, number, number, number, string][] = [];
      for (let k = r.uint(); k > 0; k--) entries.push([r.uint(), r.uint(), r.int(), r.uint(), r.str()]);
      if (entries.length === 0) throw new Error(`group ${name} lists topic ${topic} without offsets`);
      const offsets = new TopicOffsets(entries[entries.length - 1][0] + 1);
      let previous = -1;
      for (const [p, offset, leaderEpoch, at, metadata] of entries) {
        if (p <= previous) throw new Error(`group ${name} lists partitions of ${topic} out of order`);
        previous = p;
        offsets.set(p, offset, leaderEpoch, metadata, at);
      }
      g.offsets.set(topic, offsets);
    }
    groups.set(name, g);
  }
}
