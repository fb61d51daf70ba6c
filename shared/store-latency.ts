import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';

/**
 * Round-trip times of every call a DynamoDB client makes, over a sliding window: what a node
 * knows about the health of its link to the store. Failed calls count with the time they
 * took to fail. Bounded: at most `capacity` samples, none older than `windowMs`.
 */
export class StoreLatency {
  private readonly at: Float64Array;
  private readonly ms: Float64Array;
  private next = 0;
  private count = 0;
  failures = 0;

  constructor(
    readonly windowMs = 5000,
    private readonly capacity = 4096,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.at = new Float64Array(capacity);
    this.ms = new Float64Array(capacity);
  }

  record(ms: number): void {
    this.at[this.next] = this.now();
    this.ms[this.next] = ms;
    this.next = (this.next + 1) % this.capacity;
    this.count = Math.min(this.count + 1, this.capacity);
  }

  /** Samples of the window and their p90 and p99 (0 without samples). */
  summary(): { samples: number; p90Ms: number; p99Ms: number } {
    const since = this.now() - this.windowMs;
    const recent: number[] = [];
    for (let i = 0; i < this.count; i++) if (this.at[i] >= since) recent.push(this.ms[i]);
    if (recent.length === 0) return { samples: 0, p90Ms: 0, p99Ms: 0 };
    recent.sort((a, b) => a - b);
    const at = (p: number) => recent[Math.min(recent.length - 1, Math.floor(recent.length * p))];
    return { samples: recent.length, p90Ms: at(0.9), p99Ms: at(0.99) };
  }

  /** Measures every call `client` sends from now on (retries included, as callers wait for them). */
  attach(client: DynamoDBClient): void {
    client.middlewareStack.add(
      (next) => async (args) => {
        const began = performance.now();
        try {
          return await next(args);
        } catch (e) {
          // A failed condition is an answer, not a fault of the link.
          if ((e as Error).name !== 'ConditionalCheckFailedException') this.failures++;
          throw e;
        } finally {
          this.record(performance.now() - began);
        }
      },
      { step: 'initialize', name: 'hmStoreLatency' },
    );
  }
}
