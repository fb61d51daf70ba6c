import type { ReferenceModel } from './metadata-model';

/**
 * Consumer groups in the reference model: offsets keyed "topic/partition", generations and
 * members as the journal records them, Kafka's commit checks written out plainly.
 */
interface MGroup {
  generation: number;
  members: { id: string; assigned: boolean }[];
  offsets: Map<string, { offset: number; leaderEpoch: number; metadata: string }>;
  updatedAt: number;
}

export class GroupModel {
  readonly groups = new Map<string, MGroup>();

  constructor(private readonly log: ReferenceModel) {}

  private group(name: string, at: number): MGroup {
    let g = this.groups.get(name);
    if (!g) this.groups.set(name, (g = { generation: 0, members: [], offsets: new Map(), updatedAt: at }));
    return g;
  }

  /** The next generation completed with these members (what the coordinator journals). */
  joined(name: string, memberIds: string[], at: number): number {
    const g = this.group(name, at);
    g.generation++;
    g.members = memberIds.map((id) => ({ id, assigned: false }));
    g.updatedAt = at;
    return g.generation;
  }

  assigned(name: string): void {
    for (const m of this.groups.get(name)!.members) m.assigned = true;
  }

  private check(name: string, generation: number, memberId: string): string | null {
    const g = this.groups.get(name);
    if (!g) return generation < 0 ? null : 'ILLEGAL_GENERATION';
    if (generation < 0 && g.members.length === 0) return null;
    if (g.members.some((m) => !m.assigned)) return 'REBALANCE_IN_PROGRESS';
    if (!g.members.some((m) => m.id === memberId)) return 'UNKNOWN_MEMBER_ID';
    return generation === g.generation ? null : 'ILLEGAL_GENERATION';
  }

  commit(name: string, generation: number, memberId: string, offsets: { topic: string; partition: number; offset: number; metadata: string }[], at: number) {
    const refused = this.check(name, generation, memberId);
    const partitions = offsets.map(({ topic, partition, metadata }) => {
      const error = refused ?? (!this.log.partition(topic, partition) ? 'UNKNOWN_TOPIC_OR_PARTITION' : metadata.length > 4096 ? 'OFFSET_METADATA_TOO_LARGE' : undefined);
      return error ? { topic, partition, error } : { topic, partition };
    });
    const accepted = offsets.filter((_, i) => !partitions[i].error);
    if (accepted.length > 0) {
      const g = this.group(name, at);
      for (const o of accepted) g.offsets.set(`${o.topic}/${o.partition}`, { offset: o.offset, leaderEpoch: -1, metadata: o.metadata });
      g.updatedAt = at;
    }
    return { ok: { partitions } };
  }

  fetch(name: string, topics?: string[]) {
    const g = this.groups.get(name);
    const entries = [...(g?.offsets ?? new Map())].map(([key, v]) => {
      const slash = key.lastIndexOf('/');
      return { topic: key.slice(0, slash), partition: Number(key.slice(slash + 1)), ...v };
    });
    if (!topics) return { partitions: entries.sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition)) };
    const out = [];
    for (const topic of [...new Set(topics)]) {
      const count = this.log.topics.get(topic)?.partitions.length ?? 0;
      for (let partition = 0; partition < count; partition++) {
        const e = entries.find((x) => x.topic === topic && x.partition === partition);
        out.push(e ?? { topic, partition, offset: -1, leaderEpoch: -1, metadata: '' });
      }
    }
    return { partitions: out };
  }

  delete(name: string) {
    const g = this.groups.get(name);
    if (!g) return { error: 'group_not_found', status: 404 };
    if (g.members.length > 0) return { error: 'non_empty_group', status: 409 };
    this.groups.delete(name);
    return { ok: { group: name } };
  }

  dropTopic(topic: string): void {
    for (const g of this.groups.values()) for (const key of [...g.offsets.keys()]) if (key.startsWith(`${topic}/`)) g.offsets.delete(key);
  }

  expire(cutoff: number): void {
    for (const [name, g] of this.groups) if (g.members.length === 0 && g.updatedAt <= cutoff) this.groups.delete(name);
  }
}
