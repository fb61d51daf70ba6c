/** Job queue depths for the admin console, per queue and state. */
export interface QueueOverview {
  counts(): Promise<{ name: string; counts: Record<string, number> }[]>;
}
