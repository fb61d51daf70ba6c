/**
 * Makes a leader's fresh reads safe against its own deposition. A leader's view of its lease
 * is local: a node whose clock runs slow, or that stalled, can still think it leads after a
 * successor took over and acknowledged writes. Reads whose answer would then be wrong in a
 * way that matters (the latest offset, "nothing new" at the tail of a partition) pass this
 * barrier after they are computed: one consistent read of the journal slot right after this
 * leader's last entry. A successor always appends its fence at the first free slot before it
 * acknowledges anything, so an empty slot (or one holding this leader's own next entry) proves
 * that no successor had acknowledged anything when the read was answered.
 *
 * Reads that wait at the same moment share one store read: each round takes every read that
 * arrived before it was sent (a read arriving later waits for the next round, since a store
 * read already in flight proves nothing about a moment after it was sent).
 */
interface Waiter {
  resolve(): void;
  reject(reason: unknown): void;
}

export class ReadBarrier {
  private waiting: Waiter[] = [];
  private running = false;

  /** `check` throws when the slot shows that a successor took over. */
  constructor(private readonly check: () => Promise<void>) {}

  /** Resolves once a store read sent after this call found no successor. */
  pass(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.waiting.push({ resolve, reject });
      if (!this.running) void this.run();
    });
  }

  private async run(): Promise<void> {
    this.running = true;
    while (this.waiting.length > 0) {
      const round = this.waiting;
      this.waiting = [];
      try {
        await this.check();
        for (const w of round) w.resolve();
      } catch (e) {
        for (const w of round) w.reject(e);
      }
    }
    this.running = false;
  }
}
