/**
 * Group commit: calls made while earlier ones are being written join the next batch, so that
 * a storm of small writes (agents registering after an outage) costs a store request per
 * batch instead of one per write. A call resolves only once its own batch is done (for
 * writes: durable), and fails with its batch's error. Batches are kept per key (a tenant:
 * each batch goes through one tenant's fenced view of the store); a key has at most
 * `maxInFlight` batches in flight and each holds at most `maxBatch` entries. An idle key
 * starts a batch on the next turn of the event loop, or after `lingerMs` when that is set (a
 * few milliseconds gather calls that arrive spread out into one batch).
 */
export function groupCommit<T, R = void>(opts: { maxBatch: number; maxInFlight?: number; lingerMs?: number; flush: (key: string, items: T[]) => Promise<R[] | void> }) {
  const maxInFlight = opts.maxInFlight ?? 2;
  interface Entry {
    item: T;
    resolve(r: R): void;
    reject(e: unknown): void;
  }
  const queues = new Map<string, { waiting: Entry[]; inFlight: number; scheduled: boolean }>();

  function pump(key: string) {
    const q = queues.get(key)!;
    q.scheduled = false;
    while (q.waiting.length > 0 && q.inFlight < maxInFlight) {
      const batch = q.waiting.splice(0, opts.maxBatch);
      q.inFlight++;
      // Through a promise, so that a flush that throws at once fails its batch, not this loop.
      Promise.resolve()
        .then(() => opts.flush(key, batch.map((e) => e.item)))
        .then(
          (out) => batch.forEach((e, i) => e.resolve((out ? out[i] : undefined) as R)),
          (err) => batch.forEach((e) => e.reject(err)),
        )
        .finally(() => {
          q.inFlight--;
          if (!q.scheduled) pump(key);
        });
    }
    // Nothing waiting or writing: the key is forgotten (memory follows live keys only).
    if (q.waiting.length === 0 && q.inFlight === 0 && !q.scheduled) queues.delete(key);
  }

  return (key: string, item: T): Promise<R> =>
    new Promise<R>((resolve, reject) => {
      let q = queues.get(key);
      if (!q) queues.set(key, (q = { waiting: [], inFlight: 0, scheduled: false }));
      q.waiting.push({ item, resolve, reject });
      // Calls made in the same turn share the first batch.
      if (!q.scheduled && q.inFlight < maxInFlight) {
        q.scheduled = true;
        if (opts.lingerMs) setTimeout(pump, opts.lingerMs, key);
        else setImmediate(pump, key);
      }
    });
}

/** The store refuses two writes to one key in a batch: the last write to each key wins, as it would have in order. */
export function lastPerKey<I extends { pk?: unknown; sk?: unknown }>(items: I[]): I[] {
  const byKey = new Map<string, I>();
  for (const it of items) {
    const k = `${it.pk}\n${it.sk}`;
    byKey.delete(k);
    byKey.set(k, it);
  }
  return [...byKey.values()];
}
