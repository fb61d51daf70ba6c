import net from 'node:net';

/**
 * A region's link to the store: a TCP proxy between one Harbormaster node and the one
 * embedded engine that stands for the multi-region (MRSC) table. It can add latency to every
 * request (a cross-region write costs 80–100 ms more), stall (bytes are held, connections stay
 * up: a brown-out or a pause), or cut (every connection is dropped and new ones are refused:
 * the region is partitioned from the table). `restore` ends a stall or a cut.
 */
export type LinkMode = 'open' | 'stalled' | 'cut';

interface Pipe {
  client: net.Socket;
  upstream: net.Socket;
  /** Chunks not yet passed on, per direction, in arrival order, each with its release time. */
  queues: Map<net.Socket, { chunk: Buffer; at: number }[]>;
  timer: NodeJS.Timeout | undefined;
}

export class RegionLink {
  private server: net.Server | undefined;
  private readonly pipes = new Set<Pipe>();
  private latency = { minMs: 0, maxMs: 0 };
  mode: LinkMode = 'open';
  /** Connections accepted and reset while cut (for diagnostics). */
  refused = 0;
  port = 0;

  constructor(
    readonly name: string,
    private readonly target: { host: string; port: number },
  ) {}

  async listen(port = 0): Promise<string> {
    const server = net.createServer((client) => this.accept(client));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    this.server = server;
    this.port = (server.address() as net.AddressInfo).port;
    return this.url;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Every request towards the store waits a uniformly random time in [minMs, maxMs]. */
  setLatency(minMs: number, maxMs = minMs): void {
    this.latency = { minMs, maxMs: Math.max(minMs, maxMs) };
  }

  get latencyMs(): { minMs: number; maxMs: number } {
    return { ...this.latency };
  }

  /** Holds every byte in both directions until `restore`; connections stay open. */
  stall(): void {
    if (this.mode === 'open') this.mode = 'stalled';
  }

  /**
   * Closes every connection and refuses new ones until `restore`. (Closed with `destroy`, not
   * `resetAndDestroy`: on Node 20 a process that had reset sockets sometimes spun forever in its
   * exit clean-up.)
   */
  cut(): void {
    this.mode = 'cut';
    for (const p of this.pipes) this.drop(p);
  }

  restore(): void {
    this.mode = 'open';
    for (const p of this.pipes) this.flush(p);
  }

  get connections(): number {
    return this.pipes.size;
  }

  async close(): Promise<void> {
    for (const p of this.pipes) this.drop(p);
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private accept(client: net.Socket): void {
    if (this.mode === 'cut') {
      this.refused++;
      client.destroy();
      return;
    }
    client.setNoDelay(true);
    const upstream = net.connect(this.target.port, this.target.host);
    upstream.setNoDelay(true);
    const pipe: Pipe = { client, upstream, queues: new Map([[client, []], [upstream, []]]), timer: undefined };
    this.pipes.add(pipe);
    client.on('data', (chunk) => this.carry(pipe, upstream, chunk));
    upstream.on('data', (chunk) => this.carry(pipe, client, chunk));
    const end = () => this.drop(pipe);
    for (const s of [client, upstream]) {
      s.on('error', end);
      s.on('close', end);
    }
  }

  private carry(pipe: Pipe, to: net.Socket, chunk: Buffer): void {
    if (this.mode === 'cut') return this.drop(pipe);
    const queue = pipe.queues.get(to)!;
    const { minMs, maxMs } = this.latency;
    // Latency is added once per round trip, on the way to the store; never reorders chunks.
    const delay = to === pipe.upstream ? minMs + Math.random() * (maxMs - minMs) : 0;
    const at = Math.max(queue.at(-1)?.at ?? 0, performance.now() + delay);
    queue.push({ chunk, at });
    this.flush(pipe);
  }

  /** Passes on every chunk whose time has come (unless stalled) and waits for the next. */
  private flush(pipe: Pipe): void {
    clearTimeout(pipe.timer);
    pipe.timer = undefined;
    if (this.mode !== 'open' || !this.pipes.has(pipe)) return;
    const now = performance.now();
    let next = Infinity;
    for (const [to, queue] of pipe.queues) {
      while (queue.length > 0 && queue[0].at <= now) {
        const { chunk } = queue.shift()!;
        if (!to.destroyed) to.write(chunk);
      }
      if (queue.length > 0) next = Math.min(next, queue[0].at);
    }
    if (next !== Infinity) pipe.timer = setTimeout(() => this.flush(pipe), Math.max(0, next - now));
  }

  private drop(pipe: Pipe): void {
    if (!this.pipes.delete(pipe)) return;
    clearTimeout(pipe.timer);
    pipe.queues.clear();
    pipe.client.destroy();
    pipe.upstream.destroy();
  }
}
