import type http from 'node:http';
import { createHash, timingSafeEqual } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';
import { NodeSha256 } from './sha256';

/**
 * Server-side SigV4 verification for the AWS stand-ins in test/sim: recomputes the signature
 * of an incoming request with `@smithy/signature-v4` over exactly the headers it names, using
 * the secret of the access key it claims, and checks the credential scope and the 15-minute
 * freshness window as AWS does. Each stand-in maps the failure kinds to its service's codes.
 */
export type SigV4FailureKind = 'missing' | 'incomplete' | 'scope' | 'stale' | 'unknown-key' | 'mismatch' | 'payload-hash' | 'expired-token';

export class SigV4Failure extends Error {
  constructor(
    readonly kind: SigV4FailureKind,
    message: string,
  ) {
    super(message);
  }
}

export interface SigningKey {
  secretAccessKey: string;
  sessionToken?: string;
  expiresAtMs?: number;
}

const SKEW_MS = 15 * 60_000;
export const SIGNATURE_MISMATCH =
  'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.';

export const amzDateOf = (ms: number) => new Date(ms).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');

function parseAmzDate(s: string): number | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(s);
  return m ? Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]) : undefined;
}

export function parseAuthorization(header: string) {
  const m = /^(\S+) (.*)$/.exec(header.trim());
  if (!m) return undefined;
  const parts: Record<string, string> = {};
  for (const kv of m[2].split(',')) {
    const i = kv.indexOf('=');
    if (i > 0) parts[kv.slice(0, i).trim()] = kv.slice(i + 1).trim();
  }
  return { algorithm: m[1], credential: parts.Credential, signedHeaders: parts.SignedHeaders, signature: parts.Signature };
}

/** Verifies the request's SigV4 signature; answers the access key id and its record. */
export async function verifySigV4<K extends SigningKey>(
  req: http.IncomingMessage,
  o: { service: string; region: string; now: number; path: string; query: Record<string, string>; body: string; lookup: (accessKeyId: string) => K | undefined },
): Promise<{ accessKeyId: string; key: K }> {
  const header = req.headers.authorization;
  if (!header) throw new SigV4Failure('missing', 'Request is missing Authentication Token');
  const auth = parseAuthorization(header);
  if (!auth?.credential || !auth.signedHeaders || !auth.signature) {
    throw new SigV4Failure('incomplete', "Authorization header requires 'Credential', 'SignedHeaders' and 'Signature' parameters.");
  }
  if (auth.algorithm !== 'AWS4-HMAC-SHA256') throw new SigV4Failure('incomplete', `Unsupported AWS 'algorithm': '${auth.algorithm}'`);
  const amzDate = req.headers['x-amz-date'];
  const signedAt = typeof amzDate === 'string' ? parseAmzDate(amzDate) : undefined;
  if (signedAt === undefined) throw new SigV4Failure('incomplete', "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.");
  const [accessKeyId, scopeDate, scopeRegion, scopeService, terminator] = auth.credential.split('/');
  if (terminator !== 'aws4_request' || scopeService !== o.service) throw new SigV4Failure('scope', `Credential should be scoped to correct service: '${o.service}'.`);
  if (scopeRegion !== o.region) throw new SigV4Failure('scope', `Credential should be scoped to a valid region, not '${scopeRegion}'.`);
  if (scopeDate !== (amzDate as string).slice(0, 8)) {
    throw new SigV4Failure('scope', `Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '${scopeDate}' != '${(amzDate as string).slice(0, 8)}'`);
  }
  if (signedAt < o.now - SKEW_MS) {
    throw new SigV4Failure('stale', `Signature expired: ${amzDate} is now earlier than ${amzDateOf(o.now - SKEW_MS)} (${amzDateOf(o.now)} - 15 min.)`);
  }
  if (signedAt > o.now + SKEW_MS) {
    throw new SigV4Failure('stale', `Signature not yet current: ${amzDate} is still later than ${amzDateOf(o.now + SKEW_MS)} (${amzDateOf(o.now)} + 15 min.)`);
  }
  const key = o.lookup(accessKeyId);
  const token = req.headers['x-amz-security-token'];
  if (!key || (key.sessionToken ?? undefined) !== (token ?? undefined)) throw new SigV4Failure('unknown-key', 'The security token included in the request is invalid.');
  const signedNames = auth.signedHeaders.split(';');
  const headers: Record<string, string> = {};
  for (const name of signedNames) {
    const v = req.headers[name];
    if (v === undefined) throw new SigV4Failure('mismatch', SIGNATURE_MISMATCH);
    headers[name] = Array.isArray(v) ? v.join(',') : v;
  }
  const claimedHash = req.headers['x-amz-content-sha256'];
  if (typeof claimedHash === 'string' && claimedHash !== createHash('sha256').update(o.body).digest('hex')) {
    throw new SigV4Failure('payload-hash', "The provided 'x-amz-content-sha256' header does not match what was computed.");
  }
  const signer = new SignatureV4({
    service: o.service,
    region: o.region,
    sha256: NodeSha256,
    applyChecksum: false,
    credentials: { accessKeyId, secretAccessKey: key.secretAccessKey, sessionToken: key.sessionToken },
  });
  const signed = await signer.sign(
    { method: req.method ?? 'POST', protocol: 'http:', hostname: headers.host ?? 'localhost', path: o.path, query: o.query, headers, body: o.body },
    { signingDate: new Date(signedAt), signableHeaders: new Set(signedNames) },
  );
  const expected = parseAuthorization(String(signed.headers.authorization))!;
  const a = Buffer.from(expected.signature ?? '');
  const b = Buffer.from(auth.signature);
  if (expected.signedHeaders !== auth.signedHeaders || a.length !== b.length || !timingSafeEqual(a, b)) throw new SigV4Failure('mismatch', SIGNATURE_MISMATCH);
  if (key.expiresAtMs !== undefined && key.expiresAtMs <= o.now) throw new SigV4Failure('expired-token', 'The security token included in the request is expired');
  return { accessKeyId, key };
}
