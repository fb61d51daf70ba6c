import { ApiError, httpJson as http, RegionalClient, type Encoding, type RegionalOptions, type Served } from './regional-client';
import { identitySigner, type AgentRoleIdentity } from './agent-identity';

export { ApiError } from './regional-client';

/**
 * The reference agent: what a BYOC agent does against Harbormaster, using only the public
 * HTTP API. It exchanges its agent key for a token (and again before expiry), registers,
 * heartbeats on the interval the server asks for, and reads discovery. Tests and benchmarks
 * drive it; it has no access to the server's internals.
 */
export interface AgentOptions {
  baseUrl: string;
  /** An agent key (hm_ak_…), or `identity` instead: the agent's AWS role, no static secret. */
  agentKey?: string;
  identity?: AgentRoleIdentity;
  agentId: string;
  version?: string;
  region?: string;
  zone?: string;
  advertisedAddress?: string;
  roles?: ('proxy' | 'jobs')[];
  /** Share one token among simulated agents of one key (what a sidecar cache would do). */
  tokenSource?: TokenSource;
  /**
   * Multi-region: every region's control-plane endpoint and the agent's own region. Metadata
   * calls then go to the leader's region and fail over region by region (`baseUrl` is unused).
   */
  regions?: RegionalOptions;
  /**
   * The data-path calls' encoding (commit, fetch plan, list offsets): JSON by default, or
   * MessagePack (sent as application/msgpack, answers asked for in it). Other calls, and
   * multi-region agents' calls, stay JSON.
   */
  encoding?: Encoding;
}

export interface TokenInfo {
  accessToken: string;
  expiresAtMs: number;
  clusterId: string;
  tenantId: string;
  access: string;
}

/**
 * Exchanges an agent key, or a freshly signed STS request of the agent's role, for tokens and
 * refreshes them a minute before they expire.
 */
export class TokenSource {
  private current: TokenInfo | undefined;
  private pending: Promise<TokenInfo> | undefined;
  private readonly signer: ReturnType<typeof identitySigner> | undefined;
  constructor(
    private readonly baseUrl: string,
    private readonly credential: string | AgentRoleIdentity,
    /** Multi-region: exchange through whichever region answers. */
    private readonly regional?: RegionalClient,
  ) {
    if (typeof credential !== 'string') this.signer = identitySigner(credential);
  }

  async get(forceRefresh = false): Promise<TokenInfo> {
    if (!forceRefresh && this.current && this.current.expiresAtMs - Date.now() > 60_000) return this.current;
    this.pending ??= this.exchange().finally(() => (this.pending = undefined));
    return this.pending;
  }

  private async exchange(): Promise<TokenInfo> {
    // A signature is good once: every exchange signs anew.
    const auth: Record<string, string> = this.signer ? {} : { authorization: `Bearer ${this.credential}` };
    const signed = this.signer ? await this.signer.sign() : undefined;
    let body: Record<string, string>;
    if (this.regional) {
      body = (await this.regional.send('POST', '/agent/v1/token', async () => auth, signed, false)).body;
    } else {
      const res = await http('POST', `${this.baseUrl}/agent/v1/token`, auth, signed);
      body = res.body as Record<string, string>;
      if (!res.ok) throw new ApiError(res.status, body.code, body);
    }
    this.current = { accessToken: body.accessToken, expiresAtMs: Date.parse(body.expiresAt), clusterId: body.clusterId, tenantId: body.tenantId, access: body.access };
    return this.current;
  }
}

/** The interval spread by ±10%: the mean stays `intervalMs`. */
const jittered = (intervalMs: number) => intervalMs * (0.9 + 0.2 * Math.random());

export class ReferenceAgent {
  readonly tokens: TokenSource;
  /** The encoding of the data-path calls (commit, fetch plan, list offsets). */
  readonly dataEncoding: Encoding;
  /** Multi-region agents only. */
  readonly regional: RegionalClient | undefined;
  intervalMs = 5000;
  configVersion: number | undefined;
  directives: { type: string }[] = [];
  readonly heartbeatLatenciesMs: number[] = [];
  heartbeatErrors = 0;
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private registered = false;

  constructor(readonly opts: AgentOptions) {
    this.regional = opts.regions ? new RegionalClient(opts.regions) : undefined;
    this.dataEncoding = opts.encoding ?? 'json';
    this.tokens = opts.tokenSource ?? new TokenSource(opts.baseUrl, opts.identity ?? opts.agentKey!, this.regional);
  }

  /** One API call with the agent token; a token the server no longer accepts is renewed once. */
  async call(method: string, path: (clusterId: string) => string, body?: unknown, leader = false, encoding: Encoding = 'json'): Promise<any> {
    return (await this.callServed(method, path, body, leader, encoding)).body;
  }

  /**
   * As `call`, saying which endpoint answered. Multi-region agents send `leader` calls (the log
   * metadata) to the leader's region and the rest to their own region, failing over either way.
   */
  async callServed(method: string, path: (clusterId: string) => string, body?: unknown, leader = false, encoding: Encoding = 'json'): Promise<Served> {
    if (this.regional) {
      for (let attempt = 0; ; attempt++) {
        const t = await this.tokens.get(attempt > 0);
        try {
          return await this.regional.send(method, path(t.clusterId), async () => ({ authorization: `Bearer ${t.accessToken}` }), body, leader);
        } catch (e) {
          if (attempt === 0 && e instanceof ApiError && e.status === 401 && ['token_expired', 'unknown_signing_key'].includes(e.code)) continue;
          throw e;
        }
      }
    }
    for (let attempt = 0; ; attempt++) {
      const t = await this.tokens.get(attempt > 0);
      const res = await http(method, `${this.opts.baseUrl}${path(t.clusterId)}`, { authorization: `Bearer ${t.accessToken}` }, body, undefined, encoding);
      const parsed = res.body;
      if (res.ok) return { body: parsed, url: this.opts.baseUrl, attempts: attempt + 1 };
      const code = parsed?.code ?? 'unknown';
      if (attempt === 0 && res.status === 401 && ['token_expired', 'unknown_signing_key'].includes(code)) continue;
      throw new ApiError(res.status, code, parsed);
    }
  }

  async register() {
    const o = this.opts;
    const out = await this.call('POST', (c) => `/agent/v1/clusters/${c}/agents`, {
      agentId: o.agentId,
      version: o.version ?? '1.0.0',
      region: o.region ?? 'us-east-1',
      zone: o.zone ?? 'us-east-1a',
      advertisedAddress: o.advertisedAddress ?? '10.0.0.1:9092',
      roles: o.roles ?? ['proxy', 'jobs'],
    });
    this.intervalMs = out.heartbeatIntervalMs;
    this.configVersion = out.configVersion;
    this.directives = out.directives;
    this.registered = true;
    return out;
  }

  async heartbeat(stats: Record<string, number> = {}): Promise<any> {
    const started = performance.now();
    try {
      const out = await this.call('POST', (c) => `/agent/v1/clusters/${c}/agents/${this.opts.agentId}/heartbeat`, { stats, configVersion: this.configVersion });
      this.heartbeatLatenciesMs.push(performance.now() - started);
      this.intervalMs = out.heartbeatIntervalMs;
      this.directives = out.directives;
      return out;
    } catch (e) {
      // A server that forgot us (expired record) asks us to register again.
      if (e instanceof ApiError && e.code === 'agent_not_registered') {
        await this.register();
        return this.heartbeat(stats);
      }
      throw e;
    }
  }

  discovery(zone?: string) {
    return this.call('GET', (c) => `/agent/v1/clusters/${c}/discovery${zone ? `?zone=${encodeURIComponent(zone)}` : ''}`);
  }

  deregister() {
    return this.call('DELETE', (c) => `/agent/v1/clusters/${c}/agents/${this.opts.agentId}`);
  }

  /** Lists the cluster's topics. */
  topics() {
    return this.call('GET', (c) => `/agent/v1/clusters/${c}/topics`, undefined, true);
  }

  /** Commits the metadata of a file already written to the bucket. */
  commitFile(body: unknown) {
    return this.call('POST', (c) => `/agent/v1/clusters/${c}/files`, body, true, this.dataEncoding);
  }

  /** Several files in one request (POST …/files/batch): `{ files: [...] }`, answered per file. */
  commitFiles(files: unknown[]) {
    return this.call('POST', (c) => `/agent/v1/clusters/${c}/files/batch`, { files }, true, this.dataEncoding);
  }

  /** As commitFile, saying which endpoint acknowledged it. */
  commitFileServed(body: unknown) {
    return this.callServed('POST', (c) => `/agent/v1/clusters/${c}/files`, body, true, this.dataEncoding);
  }

  fetchPlan(body: unknown) {
    return this.call('POST', (c) => `/agent/v1/clusters/${c}/fetch-plan`, body, true, this.dataEncoding);
  }

  listOffsets(body: unknown) {
    return this.call('POST', (c) => `/agent/v1/clusters/${c}/list-offsets`, body, true, this.dataEncoding);
  }

  /** A listed replica of a file could not be read. */
  reportReplicaMissing(fileId: string, body: { region: string; bucket: string; reason?: string }) {
    return this.call('POST', (c) => `/agent/v1/clusters/${c}/files/${encodeURIComponent(fileId)}/replica-missing`, body, true);
  }

  /** Waits up to `waitMs` for a job: the leased job, or undefined (204). */
  pollJob(waitMs = 20_000): Promise<any | undefined> {
    return this.call('POST', (c) => `/agent/v1/clusters/${c}/jobs/poll`, { agentId: this.opts.agentId, waitMs });
  }

  jobHeartbeat(jobId: string, leaseToken: string) {
    return this.call('POST', (c) => `/agent/v1/clusters/${c}/jobs/${jobId}/heartbeat`, { leaseToken });
  }

  completeJob(jobId: string, leaseToken: string, result: unknown) {
    return this.call('POST', (c) => `/agent/v1/clusters/${c}/jobs/${jobId}/complete`, { leaseToken, result });
  }

  failJob(jobId: string, leaseToken: string, error: string, retryable: boolean) {
    return this.call('POST', (c) => `/agent/v1/clusters/${c}/jobs/${jobId}/fail`, { leaseToken, error, retryable });
  }

  /** Region endpoints, the preferred and the leading region; a multi-region agent learns from it. */
  async controlPlane() {
    const cp = await this.call('GET', (c) => `/agent/v1/clusters/${c}/control-plane`);
    this.regional?.applyControlPlane(cp);
    return cp;
  }

  /**
   * Registers (unless it already has), then heartbeats on the server's interval, starting at a
   * random offset and with ±10% jitter on each beat, so that agents that were answered
   * together (after a network blip, or by one shared connection pool) do not stay in lockstep.
   */
  async start(statsFn: () => Record<string, number> = () => ({ openConnections: 1 })) {
    if (!this.registered) await this.register();
    this.running = true;
    const beat = async () => {
      if (!this.running) return;
      try {
        await this.heartbeat(statsFn());
      } catch {
        this.heartbeatErrors++;
      }
      if (this.running) this.timer = setTimeout(beat, jittered(this.intervalMs));
    };
    this.timer = setTimeout(beat, Math.random() * this.intervalMs);
  }

  /** Stops heartbeating; `deregister` announces an orderly shutdown, otherwise it just goes silent. */
  async stop(deregister = false) {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    if (deregister) await this.deregister();
  }
}
