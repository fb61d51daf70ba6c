import { badRequest, unauthorized } from '../../shared/errors';

/**
 * The signed STS `GetCallerIdentity` request an agent presents instead of an agent key (the
 * shape of HashiCorp Vault's AWS IAM auth: method, and base64 of the URL, body and a JSON
 * object of headers). Everything we can check without STS is checked here, before any I/O:
 * it must be exactly a GetCallerIdentity POST addressed to one of our configured STS endpoints,
 * signed with SigV4 over the audience header naming this deployment, and fresh.
 */
export interface PresentedIdentity {
  clusterId: string;
  iamHttpRequestMethod: string;
  iamRequestUrl: string;
  iamRequestBody: string;
  iamRequestHeaders: string;
}

export interface CheckedStsRequest {
  /** The configured endpoint (origin) it is addressed to: the only place it is ever sent. */
  endpoint: string;
  /** The signed headers (lower-case names) and the Authorization header. */
  headers: Record<string, string>;
  body: string;
  /** SigV4 signature (hex): the single-use key. */
  signature: string;
  signedAtMs: number;
}

export const AUDIENCE_HEADER = 'x-harbormaster-audience';
export const MAX_SIGNATURE_AGE_MS = 15 * 60_000;
/** How far ahead of our clock a signature may be dated (clock skew). */
export const MAX_SIGNATURE_LEAD_MS = 5 * 60_000;

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const invalid = (detail: string) => badRequest('invalid_identity_request', detail);

function decode(field: string, value: string): string {
  if (value.length % 4 !== 0 || !BASE64.test(value)) throw invalid(`${field} must be base64.`);
  return Buffer.from(value, 'base64').toString('utf8');
}

function parseAmzDate(s: string): number | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(s);
  return m ? Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]) : undefined;
}

function decodeHeaders(raw: string): Record<string, string> {
  const text = decode('iamRequestHeaders', raw);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw invalid('iamRequestHeaders must be base64 of a JSON object of headers.');
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw invalid('iamRequestHeaders must be base64 of a JSON object of headers.');
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(parsed as Record<string, unknown>)) {
    const lower = name.toLowerCase();
    if (!/^[!#$%&'*+.^_`|~0-9a-z-]{1,128}$/.test(lower)) throw invalid(`Header name "${name.slice(0, 64)}" is not valid.`);
    if (lower in out) throw invalid(`Header "${lower}" appears twice.`);
    const joined = Array.isArray(value) && value.every((v) => typeof v === 'string') ? value.join(',') : value;
    if (typeof joined !== 'string' || /[\r\n\0]/.test(joined)) throw invalid(`Header "${lower}" must be a string without line breaks.`);
    out[lower] = joined;
  }
  return out;
}

/** Validates a presented identity request; throws a 400 or 401 problem naming what is wrong. */
export function checkStsRequest(p: PresentedIdentity, opts: { endpoints: string[]; audience: string; nowMs: number }): CheckedStsRequest {
  if (p.iamHttpRequestMethod !== 'POST') throw invalid('iamHttpRequestMethod must be POST (a signed STS GetCallerIdentity request).');
  const rawUrl = decode('iamRequestUrl', p.iamRequestUrl);
  let url: URL;
  try {
    url = new URL(rawUrl);
  } catch {
    throw invalid('iamRequestUrl is not a URL.');
  }
  const endpoint = opts.endpoints.find((e) => e === url.origin);
  if (!endpoint || url.username || url.password || url.search || url.hash || (url.pathname !== '/' && url.pathname !== '')) {
    throw badRequest('sts_endpoint_not_allowed', `The request must be signed for ${opts.endpoints.map((e) => `${e}/`).join(' or ')}; this control plane sends it nowhere else.`);
  }
  const headers = decodeHeaders(p.iamRequestHeaders);
  const body = decode('iamRequestBody', p.iamRequestBody);
  const form = new URLSearchParams(body);
  if ([...form.keys()].length !== 2 || form.get('Action') !== 'GetCallerIdentity' || form.get('Version') !== '2011-06-15') {
    throw invalid('iamRequestBody must be exactly Action=GetCallerIdentity&Version=2011-06-15.');
  }
  if (headers.host !== url.host) throw badRequest('sts_endpoint_not_allowed', `The signed Host header must be ${url.host}.`);

  const auth = /^AWS4-HMAC-SHA256 Credential=([^,\s]+),\s*SignedHeaders=([a-z0-9;-]+),\s*Signature=([0-9a-f]{64})$/.exec(headers.authorization ?? '');
  if (!auth) throw invalid('The request must carry a SigV4 Authorization header (AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…).');
  const scope = auth[1].split('/');
  if (scope.length !== 5 || scope[3] !== 'sts' || scope[4] !== 'aws4_request') throw invalid('The signature must be scoped to the sts service.');
  const signed = new Set(auth[2].split(';'));
  for (const name of ['host', 'x-amz-date']) if (!signed.has(name)) throw invalid(`The signature must cover the ${name} header.`);

  if (headers[AUDIENCE_HEADER] === undefined || !signed.has(AUDIENCE_HEADER)) {
    throw unauthorized('audience_missing', `Add the header ${AUDIENCE_HEADER}: ${opts.audience} before signing, so the signature covers it.`);
  }
  if (headers[AUDIENCE_HEADER] !== opts.audience) {
    throw unauthorized('audience_mismatch', `The signed ${AUDIENCE_HEADER} names another deployment; this one is ${opts.audience}.`);
  }

  const signedAtMs = parseAmzDate(headers['x-amz-date'] ?? '');
  if (signedAtMs === undefined) throw invalid('x-amz-date must be an ISO 8601 basic time (20260101T120000Z).');
  if (scope[1] !== headers['x-amz-date']!.slice(0, 8)) throw invalid('The credential scope date must be the x-amz-date day.');
  if (signedAtMs < opts.nowMs - MAX_SIGNATURE_AGE_MS) throw unauthorized('signature_expired', 'The signature is older than 15 minutes; sign a new request.');
  if (signedAtMs > opts.nowMs + MAX_SIGNATURE_LEAD_MS) throw unauthorized('signature_not_yet_valid', 'The signature is dated in the future; check the agent\'s clock.');

  // Only what the signature covers travels on: unsigned extras could change nothing STS checks.
  const forwarded: Record<string, string> = { authorization: headers.authorization! };
  for (const name of signed) {
    if (headers[name] === undefined) throw invalid(`The signed header "${name}" is missing.`);
    forwarded[name] = headers[name]!;
  }
  return { endpoint, headers: forwarded, body, signature: auth[3], signedAtMs };
}
