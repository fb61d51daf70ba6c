import http from 'node:http';
import { randomBytes, randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { SigV4Failure, verifySigV4, type SigV4FailureKind } from './sigv4-verify';

/**
 * An AWS STS stand-in on loopback, for tests and benchmarks (AWS cannot be reached here). It
 * speaks STS's Query protocol as the service does: form-encoded requests, XML answers, AWS's
 * error shapes and codes. Every request must carry a SigV4 signature, which it verifies with
 * `@smithy/signature-v4` against credentials it issued itself, refusing unknown keys
 * (`InvalidClientTokenId`), bad signatures (`SignatureDoesNotMatch`), signatures older or newer
 * than 15 minutes, and expired sessions (`ExpiredToken`). It implements `GetCallerIdentity` and
 * `AssumeRole` (with a session policy, which it keeps with the credentials it issues).
 */

const NS = 'https://sts.amazonaws.com/doc/2011-06-15/';
const VERSION = '2011-06-15';

export interface IssuedCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  expiration?: Date;
}

export interface StsPrincipal {
  arn: string;
  account: string;
  userId: string;
}

interface KeyRecord {
  secretAccessKey: string;
  sessionToken?: string;
  expiresAtMs?: number;
  principal: StsPrincipal;
  /** The session policy an AssumeRole call attached (parsed JSON). */
  sessionPolicy?: unknown;
}

interface Role {
  arn: string;
  account: string;
  name: string;
  roleId: string;
  /** Principal ARN patterns (`*` wildcards) allowed to assume the role. */
  trusted: string[];
  maxSessionSeconds: number;
}

export interface StsCall {
  action: string;
  at: number;
  status: number;
  code?: string;
  callerArn?: string;
  roleArn?: string;
  sessionName?: string;
  policy?: string;
}

/** How the stand-in misbehaves: answer normally, drop connections, throttle, fail, or stall. */
export type StsFault = 'none' | 'drop' | 'throttle' | 'internal-error' | 'stall';

class StsError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly type: 'Sender' | 'Receiver' = 'Sender',
  ) {
    super(message);
  }
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const upperBase32 = (n: number) => Array.from(randomBytes(n), (b) => 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'[b & 31]).join('');

const globToRegExp = (glob: string) => new RegExp(`^${glob.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);

/** STS's answers to each way a signature can fail. */
const STS_CODES: Record<SigV4FailureKind, [number, string]> = {
  missing: [403, 'MissingAuthenticationToken'],
  incomplete: [400, 'IncompleteSignature'],
  scope: [403, 'SignatureDoesNotMatch'],
  stale: [403, 'SignatureDoesNotMatch'],
  'unknown-key': [403, 'InvalidClientTokenId'],
  mismatch: [403, 'SignatureDoesNotMatch'],
  'payload-hash': [400, 'XAmzContentSHA256Mismatch'],
  'expired-token': [403, 'ExpiredToken'],
};

export async function startStsStandIn(opts: { region?: string; now?: () => number; host?: string } = {}) {
  const region = opts.region ?? 'us-east-1';
  const now = opts.now ?? Date.now;
  const keys = new Map<string, KeyRecord>();
  const roles = new Map<string, Role>();
  const calls: StsCall[] = [];
  const counts = new Map<string, number>();
  let fault: StsFault = 'none';
  let delayMs = 0;

  function issue(principal: StsPrincipal, session: { ttlSeconds?: number; policy?: unknown } | undefined): IssuedCredentials {
    const temporary = session !== undefined;
    const accessKeyId = (temporary ? 'ASIA' : 'AKIA') + upperBase32(16);
    const secretAccessKey = randomBytes(30).toString('base64');
    const record: KeyRecord = { secretAccessKey, principal };
    if (temporary) {
      record.sessionToken = randomBytes(180).toString('base64');
      record.expiresAtMs = now() + (session.ttlSeconds ?? 3600) * 1000;
      record.sessionPolicy = session.policy;
    }
    keys.set(accessKeyId, record);
    return { accessKeyId, secretAccessKey, sessionToken: record.sessionToken, expiration: record.expiresAtMs ? new Date(record.expiresAtMs) : undefined };
  }

  function roleSession(role: Role, sessionName: string, ttlSeconds: number, policy?: unknown) {
    return issue({ arn: `arn:aws:sts::${role.account}:assumed-role/${role.name}/${sessionName}`, account: role.account, userId: `${role.roleId}:${sessionName}` }, { ttlSeconds, policy });
  }

  /** Checks the SigV4 signature of a request; answers the caller's key record. */
  async function authenticate(req: http.IncomingMessage, path: string, query: Record<string, string>, body: string): Promise<KeyRecord> {
    try {
      return (await verifySigV4(req, { service: 'sts', region, now: now(), path, query, body, lookup: (id) => keys.get(id) })).key;
    } catch (e) {
      if (!(e instanceof SigV4Failure)) throw e;
      const [status, code] = STS_CODES[e.kind];
      throw new StsError(status, code, e.message);
    }
  }

  function getCallerIdentity(caller: KeyRecord, requestId: string) {
    const p = caller.principal;
    return `<GetCallerIdentityResponse xmlns="${NS}">
  <GetCallerIdentityResult>
    <Arn>${esc(p.arn)}</Arn>
    <UserId>${esc(p.userId)}</UserId>
    <Account>${esc(p.account)}</Account>
  </GetCallerIdentityResult>
  <ResponseMetadata>
    <RequestId>${requestId}</RequestId>
  </ResponseMetadata>
</GetCallerIdentityResponse>`;
  }

  function assumeRole(caller: KeyRecord, params: URLSearchParams, requestId: string, call: StsCall) {
    const roleArn = params.get('RoleArn') ?? '';
    const sessionName = params.get('RoleSessionName') ?? '';
    const policy = params.get('Policy') ?? undefined;
    Object.assign(call, { roleArn, sessionName, policy });
    if (!/^arn:aws[\w-]*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/.test(roleArn)) {
      throw new StsError(400, 'ValidationError', `1 validation error detected: Value '${roleArn}' at 'roleArn' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\u0009\\u000A\\u000D\\u0020-\\u007E\\u0085\\u00A0-\\uD7FF\\uE000-\\uFFFD\\u10000-\\u10FFFF]+`);
    }
    if (!/^[\w+=,.@-]{2,64}$/.test(sessionName)) {
      throw new StsError(400, 'ValidationError', `1 validation error detected: Value '${sessionName}' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*`);
    }
    const role = roles.get(roleArn);
    if (!role || !role.trusted.some((g) => globToRegExp(g).test(caller.principal.arn))) {
      throw new StsError(403, 'AccessDenied', `User: ${caller.principal.arn} is not authorized to perform: sts:AssumeRole on resource: ${roleArn}`);
    }
    const duration = params.has('DurationSeconds') ? Number(params.get('DurationSeconds')) : 3600;
    if (!Number.isInteger(duration) || duration < 900) {
      throw new StsError(400, 'ValidationError', `1 validation error detected: Value '${params.get('DurationSeconds')}' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900`);
    }
    if (duration > role.maxSessionSeconds) throw new StsError(400, 'ValidationError', 'The requested DurationSeconds exceeds the MaxSessionDuration set for this role.');
    let parsedPolicy: unknown;
    if (policy !== undefined) {
      try {
        parsedPolicy = JSON.parse(policy);
      } catch {
        throw new StsError(400, 'MalformedPolicyDocument', 'The policy is not in the valid JSON format.');
      }
      if (policy.length > 2048) throw new StsError(400, 'PackedPolicyTooLarge', `Packed policy consumes ${Math.ceil((policy.length / 2048) * 100)}% of allotted space, please use smaller policy for session.`);
    }
    const creds = roleSession(role, sessionName, duration, parsedPolicy);
    const packed = policy !== undefined ? `\n    <PackedPolicySize>${Math.ceil((policy.length / 2048) * 100)}</PackedPolicySize>` : '';
    return `<AssumeRoleResponse xmlns="${NS}">
  <AssumeRoleResult>
    <AssumedRoleUser>
      <AssumedRoleId>${esc(role.roleId)}:${esc(sessionName)}</AssumedRoleId>
      <Arn>arn:aws:sts::${role.account}:assumed-role/${esc(role.name)}/${esc(sessionName)}</Arn>
    </AssumedRoleUser>
    <Credentials>
      <AccessKeyId>${creds.accessKeyId}</AccessKeyId>
      <SecretAccessKey>${esc(creds.secretAccessKey)}</SecretAccessKey>
      <SessionToken>${esc(creds.sessionToken!)}</SessionToken>
      <Expiration>${creds.expiration!.toISOString()}</Expiration>
    </Credentials>${packed}
  </AssumeRoleResult>
  <ResponseMetadata>
    <RequestId>${requestId}</RequestId>
  </ResponseMetadata>
</AssumeRoleResponse>`;
  }

  async function handle(req: http.IncomingMessage, res: http.ServerResponse, body: string) {
    const requestId = randomUUID();
    const url = new URL(req.url ?? '/', 'http://stand-in');
    const query = Object.fromEntries(url.searchParams);
    const isForm = /^application\/x-www-form-urlencoded/i.test(String(req.headers['content-type'] ?? ''));
    const params = req.method === 'POST' && isForm ? new URLSearchParams(body) : url.searchParams;
    const call: StsCall = { action: params.get('Action') ?? '(none)', at: now(), status: 200 };
    const send = (status: number, xml: string) => {
      call.status = status;
      res.writeHead(status, { 'content-type': 'text/xml', 'x-amzn-requestid': requestId, 'content-length': Buffer.byteLength(xml) });
      res.end(xml);
    };
    try {
      if (fault === 'throttle') throw new StsError(400, 'Throttling', 'Rate exceeded');
      if (fault === 'internal-error') throw new StsError(500, 'InternalFailure', 'The request processing has failed because of an unknown error, exception or failure.', 'Receiver');
      const caller = await authenticate(req, url.pathname, query, body);
      call.callerArn = caller.principal.arn;
      if (params.get('Version') !== VERSION || !['GetCallerIdentity', 'AssumeRole'].includes(call.action)) {
        throw new StsError(400, 'InvalidAction', `Could not find operation ${call.action} for version ${params.get('Version') ?? 'NO_VERSION_SPECIFIED'}`);
      }
      send(200, call.action === 'GetCallerIdentity' ? getCallerIdentity(caller, requestId) : assumeRole(caller, params, requestId, call));
    } catch (e) {
      if (!(e instanceof StsError)) throw e;
      call.code = e.code;
      send(e.status, `<ErrorResponse xmlns="${NS}">
  <Error>
    <Type>${e.type}</Type>
    <Code>${e.code}</Code>
    <Message>${esc(e.message)}</Message>
  </Error>
  <RequestId>${requestId}</RequestId>
</ErrorResponse>`);
    } finally {
      counts.set(call.action, (counts.get(call.action) ?? 0) + 1);
      calls.push(call);
      if (calls.length > 10_000) calls.splice(0, calls.length - 5_000);
    }
  }

  const server = http.createServer((req, res) => {
    if (fault === 'drop') return void req.socket.destroy();
    if (fault === 'stall') return; // never answers: the caller's timeout must fire
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > 64 * 1024) req.destroy();
      else chunks.push(c);
    });
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const go = () => handle(req, res, body).catch(() => res.destroy());
      if (delayMs > 0) setTimeout(go, delayMs);
      else void go();
    });
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(0, opts.host ?? '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const host = `${opts.host ?? '127.0.0.1'}:${port}`;

  return {
    /** The endpoint to configure as `HM_STS_ENDPOINT` (and to sign requests for). */
    url: `http://${host}`,
    host,
    region,
    calls,
    count: (action: string) => counts.get(action) ?? 0,
    /** Registers an IAM role; `trusted` lists the principal ARNs (globs) that may assume it. */
    createRole(arn: string, o: { trusted?: string[]; maxSessionSeconds?: number } = {}) {
      const m = /^arn:aws[\w-]*:iam::(\d{12}):role\/(?:.*\/)?([\w+=,.@-]+)$/.exec(arn);
      if (!m) throw new Error(`not a role ARN: ${arn}`);
      const role: Role = { arn, account: m[1], name: m[2], roleId: `AROA${upperBase32(17)}`, trusted: o.trusted ?? [], maxSessionSeconds: o.maxSessionSeconds ?? 3600 };
      roles.set(arn, role);
      return role;
    },
    /** Session credentials for a role, as an instance profile or pod identity would hand them out. */
    roleCredentials(roleArn: string, sessionName = `i-${randomBytes(8).toString('hex')}`, ttlSeconds = 3600): IssuedCredentials {
      const role = roles.get(roleArn);
      if (!role) throw new Error(`unknown role ${roleArn}; createRole first`);
      return roleSession(role, sessionName, ttlSeconds);
    },
    /** Long-term access keys of an IAM user (`AKIA…`). */
    userCredentials(accountId: string, userName: string): IssuedCredentials {
      return issue({ arn: `arn:aws:iam::${accountId}:user/${userName}`, account: accountId, userId: `AIDA${upperBase32(17)}` }, undefined);
    },
    /** What the stand-in knows about an access key it issued (who, which session policy, until when). */
    inspect(accessKeyId: string) {
      const r = keys.get(accessKeyId);
      return r ? { principal: r.principal, sessionPolicy: r.sessionPolicy, expiresAtMs: r.expiresAtMs, secretAccessKey: r.secretAccessKey, sessionToken: r.sessionToken } : undefined;
    },
    setFault(f: StsFault, o: { delayMs?: number } = {}) {
      fault = f;
      delayMs = o.delayMs ?? 0;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
export type StsStandIn = Awaited<ReturnType<typeof startStsStandIn>>;
