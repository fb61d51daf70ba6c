/**
 * Where a BullMQ queue's keys live. On a single Redis, under the configured prefix as always
 * (`hm:lifecycle:wait`). On a Redis Cluster every key of one queue must share a hash slot
 * (BullMQ's scripts touch several at once), so the prefix carries the queue's own hash tag
 * (`hm:{lifecycle}:lifecycle:wait`). One tag per queue rather than one for all: the
 * per-cluster agent-job queues then spread over the slots (and shards) instead of putting
 * every queue's traffic and memory on the one shard that holds a shared tag's slot.
 */
export interface QueueKeys {
  /** The BullMQ `prefix` option of the queue `name`. */
  prefix(name: string): string;
  /** A SCAN pattern for the `meta` keys of the queues whose names match `namePattern` (a glob). */
  metaPattern(namePattern: string): string;
  /** The queue a `meta` key found by that pattern belongs to; undefined for any other key. */
  nameOfMeta(key: string): string | undefined;
}

export function queueKeys(prefix: string, hashTagged = false): QueueKeys {
  const prefixOf = (name: string) => (hashTagged ? `${prefix}:{${name}}` : prefix);
  return {
    prefix: prefixOf,
    metaPattern: (namePattern) => `${prefixOf(namePattern)}:${namePattern}:meta`,
    nameOfMeta(key) {
      if (!key.endsWith(':meta')) return undefined;
      const name = key.slice(0, -':meta'.length).split(':').pop()!;
      // Queue names hold no ":"; anything else under the pattern (a job's key) is not a queue.
      return name && key === `${prefixOf(name)}:${name}:meta` ? name : undefined;
    },
  };
}
