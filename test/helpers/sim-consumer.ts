import assert from 'node:assert/strict';
import type { Reply } from './harness';
import { consumerAssignment } from './agent-cluster';

type Send = (method: string, url: string, body?: unknown) => Promise<Reply>;

/**
 * A Kafka consumer as an agent relays it to the group coordinator: joins (with the member-id
 * round trip and "still waiting" retries), syncs (the leader assigns the topic's partitions
 * round-robin), heartbeats, commits and leaves.
 */
export class SimConsumer {
  memberId = '';
  generation = -1;
  partitions: number[] = [];
  isLeader = false;

  constructor(
    private send: Send,
    readonly base: string,
    readonly name: string,
    private readonly topic: string,
    private readonly partitionCount: number,
    readonly sessionTimeoutMs = 2_000,
  ) {}

  /** Sends later requests through another node (after a leader change). */
  via(send: Send): void {
    this.send = send;
  }

  async join(): Promise<{ members: { memberId: string }[] }> {
    for (;;) {
      const r = await this.send('POST', `${this.base}/join`, {
        memberId: this.memberId,
        clientId: this.name,
        clientHost: `/10.0.0.${this.name.length}`,
        sessionTimeoutMs: this.sessionTimeoutMs,
        rebalanceTimeoutMs: 10_000,
        protocolType: 'consumer',
        protocols: [{ name: 'roundrobin', metadata: Buffer.from(this.topic).toString('base64') }],
      });
      if (r.status === 202) continue;
      assert.equal(r.status, 200, r.text);
      if (r.body.error === 'MEMBER_ID_REQUIRED') {
        this.memberId = r.body.memberId;
        continue;
      }
      assert.equal(r.body.error, undefined, `${this.name} join: ${r.text}`);
      this.memberId = r.body.memberId;
      this.generation = r.body.generationId;
      this.isLeader = r.body.leader === this.memberId;
      return r.body;
    }
  }

  async sync(members: { memberId: string }[] = []): Promise<string | undefined> {
    const assignments = this.isLeader
      ? members.map((m, i) => ({
          memberId: m.memberId,
          assignment: consumerAssignment({ [this.topic]: Array.from({ length: this.partitionCount }, (_, p) => p).filter((p) => p % members.length === i) }),
        }))
      : [];
    for (;;) {
      const r = await this.send('POST', `${this.base}/sync`, { memberId: this.memberId, generationId: this.generation, assignments });
      if (r.status === 202) continue;
      assert.equal(r.status, 200, r.text);
      if (r.body.error) return r.body.error;
      const bytes = Buffer.from(r.body.assignment, 'base64');
      this.partitions = [];
      for (let i = 0, n = bytes.readInt32BE(2 + 4 + 2 + this.topic.length); i < n; i++) this.partitions.push(bytes.readInt32BE(2 + 4 + 2 + this.topic.length + 4 + 4 * i));
      return undefined;
    }
  }

  /** Join and sync until a generation holds (a rebalance may start meanwhile). */
  async joinAndSync(): Promise<void> {
    for (;;) {
      const joined = await this.join();
      if ((await this.sync(joined.members)) === undefined) return;
    }
  }

  async heartbeat(): Promise<string> {
    const r = await this.send('POST', `${this.base}/heartbeat`, { memberId: this.memberId, generationId: this.generation });
    assert.equal(r.status, 200, r.text);
    // Removed from the group (its session passed): it joins again as a new member.
    if (r.body.error === 'UNKNOWN_MEMBER_ID') this.memberId = '';
    return r.body.error ?? 'NONE';
  }

  /** One turn of a consumer's poll loop: heartbeat, and rejoin when the group asks for it. */
  async poll(): Promise<void> {
    if (this.generation < 0 || (await this.heartbeat()) !== 'NONE') await this.joinAndSync();
  }

  async commit(partition: number, offset: number): Promise<string> {
    const r = await this.send('PUT', `${this.base}/offsets`, { memberId: this.memberId, generationId: this.generation, offsets: [{ topic: this.topic, partition, offset }] });
    assert.equal(r.status, 200, r.text);
    return r.body.partitions[0].error ?? 'NONE';
  }

  async leave(): Promise<void> {
    const r = await this.send('POST', `${this.base}/leave`, { members: [{ memberId: this.memberId }] });
    assert.equal(r.status, 200, r.text);
  }
}
