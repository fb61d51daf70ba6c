/**
 * Real elapsed time, for pacing background work in the process that also answers requests.
 * Not the service clock: tests move that by hand, and a pause has to be real to let others in.
 */
export interface Pacer {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const realPacer: Pacer = {
  now: () => performance.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

export interface PacedResult {
  done: number;
  failed: number;
  /** Items not started: the deadline came first. */
  left: number;
  pausedMs: number;
}

/**
 * Runs `work` over `items`, `inFlight` at a time. After each group it pauses in proportion to
 * the time the group took, so that the work holds at most `duty` of the process (requests
 * queued behind a group wait at most one group's time). It starts no group once the next
 * pause would end past `deadline` (pacer time), unless fewer than `atLeast` items (default:
 * one group) were started: each call makes that much progress however slow the work is.
 */
export async function pacedEach<T>(items: T[], work: (item: T) => Promise<unknown>, opts: { inFlight: number; duty: number; deadline: number; pacer: Pacer; atLeast?: number }): Promise<PacedResult> {
  const { inFlight, duty, deadline, pacer } = opts;
  const atLeast = opts.atLeast ?? 0;
  const out: PacedResult = { done: 0, failed: 0, left: 0, pausedMs: 0 };
  let next = 0;
  while (next < items.length) {
    const start = pacer.now();
    const group = items.slice(next, next + inFlight);
    next += group.length;
    for (const r of await Promise.allSettled(group.map(work))) r.status === 'fulfilled' ? out.done++ : out.failed++;
    if (next >= items.length) break;
    const end = pacer.now();
    const pause = ((end - start) * (1 - duty)) / duty;
    if (end + pause >= deadline && next >= atLeast) break;
    if (pause > 0) {
      await pacer.sleep(pause);
      out.pausedMs += pause;
    }
  }
  out.left = items.length - next;
  return out;
}
