import { Agent, request } from 'undici';
import { Packr, Unpackr } from 'msgpackr';

/**
 * How an agent reaches a multi-region control plane: it is configured with one endpoint per
 * region, sends metadata calls to the leader's region (learnt from `not_leader` hints and from
 * `GET …/control-plane`), and on a timeout, a refused connection or a 5xx falls back to the
 * next region with jittered exponential backoff, until a deadline. Every call it retries is
 * idempotent on the server (commits on fileId, registrations on agentId), so a retry through
 * another region after a timeout gets the original answer.
 */
const dispatcher = new Agent({ keepAliveTimeout: 30_000, connections: 256 });

export interface HttpAnswer {
  status: number;
  ok: boolean;
  body: any;
}

/** How an agent encodes bodies: JSON (the default), or MessagePack, which the data path accepts and answers with. */
export type Encoding = 'json' | 'msgpack';
const MSGPACK = 'application/msgpack';
// Plain maps and arrays (no msgpackr records), as any MessagePack library writes them.
const packr = new Packr({ useRecords: false });
const unpackr = new Unpackr({ mapsAsObjects: true, useRecords: false });

/** One call over HTTP, abandoned after `timeoutMs`; answers are decoded by their Content-Type. */
export async function httpJson(method: string, url: string, headers: Record<string, string>, body?: unknown, timeoutMs?: number, encoding: Encoding = 'json'): Promise<HttpAnswer> {
  const binary = encoding === 'msgpack';
  const sent = body === undefined ? headers : { ...headers, 'content-type': binary ? MSGPACK : 'application/json' };
  const res = await request(url, {
    method: method as 'GET',
    dispatcher,
    headers: binary ? { ...sent, accept: `${MSGPACK}, application/json;q=0.5` } : sent,
    body: body === undefined ? undefined : binary ? packr.pack(body) : JSON.stringify(body),
    signal: timeoutMs ? AbortSignal.timeout(timeoutMs) : undefined,
  });
  let parsed: unknown;
  if (String(res.headers['content-type'] ?? '').startsWith(MSGPACK)) {
    const bytes = Buffer.from(await res.body.arrayBuffer());
    try {
      parsed = unpackr.unpack(bytes);
    } catch {
      parsed = { code: 'unparseable_answer', detail: bytes.subarray(0, 100).toString('hex') };
    }
  } else {
    const text = await res.body.text();
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = { code: 'unparseable_answer', detail: text.slice(0, 200) };
    }
  }
  return { status: res.statusCode, ok: res.statusCode >= 200 && res.statusCode < 300, body: parsed };
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly body: unknown,
  ) {
    super(`${status} ${code}`);
  }
}

export interface RegionalOptions {
  /** Control-plane endpoint per region, as the agent is configured. */
  endpoints: Record<string, string>;
  /** The agent's own region: tried first for calls that do not need the leader. */
  home: string;
  /** One attempt is abandoned after this long (default 2 s). */
  attemptTimeoutMs?: number;
  /** A call gives up after this long in all (default 20 s). */
  deadlineMs?: number;
}

export interface Served {
  body: any;
  /** The endpoint that answered. */
  url: string;
  attempts: number;
}

const isUrl = (s: unknown): s is string => typeof s === 'string' && /^https?:\/\//.test(s);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class RegionalClient {
  readonly endpoints: Map<string, string>;
  /** Where metadata calls go first: the leader as last learnt. */
  leaderUrl: string | undefined;
  readonly stats = { attempts: 0, timeouts: 0, refused: 0, serverErrors: 0, notLeader: 0, fallbacks: 0 };
  private readonly attemptTimeoutMs: number;
  private readonly deadlineMs: number;

  constructor(readonly opts: RegionalOptions) {
    this.endpoints = new Map(Object.entries(opts.endpoints));
    this.attemptTimeoutMs = opts.attemptTimeoutMs ?? 2000;
    this.deadlineMs = opts.deadlineMs ?? 20_000;
  }

  /** Endpoints in the order to try: `first`, then home, then the other regions. */
  private order(first: string | undefined): string[] {
    const home = this.endpoints.get(this.opts.home);
    const all = [first, home, ...this.endpoints.values()].filter((u): u is string => !!u);
    return [...new Set(all)];
  }

  /**
   * Sends `method path` until an endpoint answers something other than a retryable failure.
   * `leader` calls start at the known leader; the rest at the home region.
   */
  async send(method: string, path: string, headers: () => Promise<Record<string, string>>, body: unknown, leader: boolean): Promise<Served> {
    const deadline = Date.now() + this.deadlineMs;
    let order = this.order(leader ? this.leaderUrl : undefined);
    let at = 0;
    let backoffMs = 50;
    let hinted: string | undefined;
    for (let attempts = 1; ; attempts++) {
      const url = hinted ?? order[at % order.length];
      hinted = undefined;
      this.stats.attempts++;
      let answer: HttpAnswer | undefined;
      try {
        answer = await httpJson(method, url + path, await headers(), body, Math.min(this.attemptTimeoutMs, Math.max(1, deadline - Date.now())));
      } catch (e) {
        const name = (e as Error).name;
        if (name === 'TimeoutError' || name === 'AbortError') this.stats.timeouts++;
        else this.stats.refused++;
      }
      if (answer?.ok) {
        if (leader) this.leaderUrl = url;
        return { body: answer.body, url, attempts };
      }
      if (answer && answer.status < 500) throw new ApiError(answer.status, answer.body?.code ?? 'unknown', answer.body);
      if (answer?.body?.code === 'not_leader') {
        this.stats.notLeader++;
        const named = answer.body.leader;
        // Follow a hint at once, unless it names the endpoint that just sent us away.
        if (isUrl(named) && named !== url) {
          if (leader) this.leaderUrl = named;
          hinted = named;
          continue;
        }
      } else if (answer) {
        this.stats.serverErrors++;
      }
      if (Date.now() + backoffMs >= deadline) {
        throw answer ? new ApiError(answer.status, answer.body?.code ?? 'unknown', answer.body) : new ApiError(0, 'unreachable', { url });
      }
      // Next region, after a jittered pause (0.5x..1.5x, doubling up to 400 ms: a lost leader's
      // lease runs out within seconds, and the first attempt after that should not wait long).
      this.stats.fallbacks++;
      if (leader && this.leaderUrl === url) this.leaderUrl = undefined;
      at++;
      if (at % order.length === 0) order = this.order(leader ? this.leaderUrl : undefined);
      await sleep(backoffMs * (0.5 + Math.random()));
      backoffMs = Math.min(400, backoffMs * 2);
    }
  }

  /** Learns endpoints and the leader from `GET …/control-plane` (configured endpoints stay). */
  applyControlPlane(cp: { leader: string | null; regions: { region: string; endpoints: string[] }[] }): void {
    for (const r of cp.regions) if (r.endpoints.length > 0 && !this.endpoints.has(r.region)) this.endpoints.set(r.region, r.endpoints[0]);
    if (isUrl(cp.leader)) this.leaderUrl = cp.leader;
  }
}
