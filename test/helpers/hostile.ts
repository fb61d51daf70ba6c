import { SignJWT, base64url } from 'jose';
import type { Harness } from './harness';

/** A small seeded PRNG (mulberry32): a failing fuzz run is replayed with its seed. */
export function seeded(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (n: number) => Math.floor(next() * n),
    pick<T>(xs: readonly T[]): T {
      return xs[Math.floor(next() * xs.length)];
    },
    chance: (p: number) => next() < p,
  };
}
export type Rng = ReturnType<typeof seeded>;

/** Nested arrays `depth` deep, as JSON text (a parser's recursion, not ours, is what it tests). */
export const deepJson = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);
const deepObject = (depth: number): unknown => {
  let v: unknown = 1;
  for (let i = 0; i < depth; i++) v = { a: v };
  return v;
};

/** JSON values a schema did not ask for: wrong types, edge numbers, strings that break things. */
export function hostileValue(r: Rng): unknown {
  const strings = [
    '',
    ' ',
    'x'.repeat(70_000),
    'é'.repeat(5_000),
    '\u{1F680}'.repeat(300),
    '\ud800',
    'a\udfffb',
    '\u0000',
    'line\nbreak',
    '\u202eevil',
    '\u200b',
    'ＡＢＣ',
    '../../../etc/passwd',
    "' OR '1'='1",
    '${jndi:ldap://x/a}',
    '<script>alert(1)</script>',
    '__proto__',
    'constructor',
    'T#tnt_01m87dr644y195j16x28ewbs40#C#',
    'vci_01m87drmpqga8tgzsda4hm79fm',
    'tnt_01m87dr644y195j16x28ewbs40',
    '-1',
    '1e309',
    'NaN',
    'null',
    '2026-02-30T25:61:61Z',
    '%ff',
  ];
  const numbers = [NaN, Infinity, -Infinity, -1, -0, 0, 0.5, -(2 ** 31) - 1, 2 ** 31, 2 ** 53 + 1, 1e308, -1e308, Number.MIN_VALUE];
  switch (r.int(6)) {
    case 0:
      return r.pick(strings);
    case 1:
      return r.pick(numbers);
    case 2:
      return r.pick([null, true, false, [], {}, [null], [[]], { '': '' }]);
    case 3:
      return deepObject(r.pick([50, 200, 1000]));
    case 4:
      return Array.from({ length: r.pick([1000, 20_000]) }, () => 1);
    default:
      return { __proto__x: 1, constructor: { prototype: { polluted: true } }, ['__proto__']: { polluted: true } };
  }
}

/** Strings for path segments, as they go on the wire (some deliberately badly encoded). */
export const HOSTILE_SEGMENTS = [
  '%ff',
  '%ED%A0%80',
  '%00',
  '%2e%2e',
  '..',
  encodeURIComponent('名前'),
  encodeURIComponent('x'.repeat(300)),
  'x'.repeat(99),
  encodeURIComponent("' OR 1=1 --"),
  'vci_ZZZZZZZZZZZZZZZZZZZZZZZZZZ',
  '%20',
  encodeURIComponent('a/b'),
  '-',
  'NaN',
  encodeURIComponent('{"$ne":null}'),
];

/** Raw request bodies that are not the JSON they claim to be. */
export function hostileRawBody(r: Rng): { payload: Buffer | string; contentType?: string; headers?: Record<string, string> } {
  const json = 'application/json';
  switch (r.int(13)) {
    case 0:
      return { payload: '{"name":', contentType: json };
    case 1:
      return { payload: Buffer.concat([Buffer.from('{"name":"'), Buffer.from([0xff, 0xfe, 0xc3, 0x28, 0xed, 0xa0, 0x80]), Buffer.from('"}')]), contentType: json };
    case 2:
      return { payload: deepJson(r.pick([1000, 10_000, 100_000])), contentType: json };
    case 3:
      return { payload: '{"a":1,"a":2,"__proto__":{"admin":true}}', contentType: json };
    case 4:
      return { payload: '\ufeff{}', contentType: json };
    case 5:
      return { payload: 'name=x&tier=pro', contentType: 'application/x-www-form-urlencoded' };
    case 6:
      return { payload: '<a/>', contentType: 'application/xml' };
    case 7:
      return { payload: '--x\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n--x--', contentType: 'multipart/form-data; boundary=x' };
    case 8:
      return { payload: '{}', contentType: 'text/plain' };
    case 9:
      return { payload: '{}', contentType: 'application/json; charset=utf-16' };
    case 10:
      return { payload: Buffer.from([0x1f, 0x8b, 0x08, 0, 0, 0, 0, 0]), contentType: json, headers: { 'content-encoding': r.pick(['gzip', 'br', 'deflate', 'x-evil']) } };
    case 11:
      return { payload: 'x'.repeat(2 * 1024 * 1024), contentType: json };
    default:
      return { payload: '{}' };
  }
}

/** Applies one hostile change to a (plausible) body: a field replaced, dropped or added, or all of it. */
export function mutate(r: Rng, base: unknown): unknown {
  const body = structuredClone(base);
  const holders: { parent: Record<string, unknown> | unknown[]; key: string | number }[] = [];
  const walk = (v: unknown) => {
    if (Array.isArray(v)) v.forEach((x, i) => (holders.push({ parent: v, key: i }), walk(x)));
    else if (v && typeof v === 'object') for (const k of Object.keys(v)) holders.push({ parent: v as Record<string, unknown>, key: k }), walk((v as Record<string, unknown>)[k]);
  };
  walk(body);
  const objects = [body, ...holders.map((h) => (h.parent as any)[h.key])].filter((v) => v && typeof v === 'object' && !Array.isArray(v)) as Record<string, unknown>[];
  switch (holders.length === 0 ? 3 : r.int(4)) {
    case 0: {
      const h = r.pick(holders);
      (h.parent as any)[h.key] = hostileValue(r);
      return body;
    }
    case 1: {
      const h = r.pick(holders);
      if (Array.isArray(h.parent)) h.parent.splice(h.key as number, 1);
      else delete h.parent[h.key as string];
      return body;
    }
    case 2: {
      const o = objects.length ? r.pick(objects) : undefined;
      if (!o) return hostileValue(r);
      o[r.pick(['extra', 'isAdmin', 'tenantId', 'clusterId', '__proto__', 'constructor'])] = hostileValue(r);
      return body;
    }
    default:
      return hostileValue(r);
  }
}

/**
 * Credentials nobody should get past: garbage, wrong kinds, and forged or mishandled JWTs
 * (`alg: none`, HS256 signed with the public key, expired, wrong audience, wrong issuer,
 * tampered claims), built from the harness's real keys so only the forgery itself is wrong.
 */
export async function forgedTokens(h: Harness, claims: { tenantId: string; clusterId: string; agentKeyId: string; foreignTenantId: string }) {
  const issuer = h.config.publicUrl;
  const { kid, privateKey } = await h.runtime.services.signingKeys.current();
  const jwk = (await h.runtime.services.signingKeys.jwks()).keys.find((k) => k.kid === kid)!;
  const now = Math.floor(Date.now() / 1000);
  const agentClaims = { tid: claims.tenantId, cid: claims.clusterId, acc: 'read-write', iat_ms: Date.now() };
  const agent = (o: { aud?: string; exp?: number; iss?: string; typ?: string; extra?: Record<string, unknown> } = {}) =>
    new SignJWT({ ...agentClaims, ...o.extra })
      .setProtectedHeader({ alg: 'EdDSA', kid, typ: o.typ ?? 'agent+jwt' })
      .setIssuer(o.iss ?? issuer)
      .setAudience(o.aud ?? 'agent')
      .setSubject(claims.agentKeyId)
      .setIssuedAt(now - 60)
      .setExpirationTime(o.exp ?? now + 600)
      .setJti(`fz${Math.random().toString(36).slice(2)}`)
      .sign(privateKey);
  const good = await agent();
  const [h64, p64, sig] = good.split('.');
  const enc = (o: unknown) => base64url.encode(JSON.stringify(o));
  const payload = JSON.parse(new TextDecoder().decode(base64url.decode(p64)));
  const hs256 = async (secret: Uint8Array) =>
    new SignJWT(payload).setProtectedHeader({ alg: 'HS256', kid, typ: 'agent+jwt' }).sign(secret);
  const admin = h.runtime.localIssuer!;
  const adminSigned = (o: { aud?: string; exp?: number; alg?: string } = {}) =>
    new SignJWT({ roles: ['admin'] })
      .setProtectedHeader({ alg: 'EdDSA', typ: 'admin+jwt', kid: admin.kid })
      .setIssuer(admin.issuer)
      .setAudience(o.aud ?? 'admin')
      .setSubject('mallory')
      .setIssuedAt(now - 60)
      .setExpirationTime(o.exp ?? now + 600)
      .sign(admin.privateKey);
  return {
    'garbage': 'not-a-token',
    'empty-jwt': '..',
    'three-dots': 'a.b.c',
    'long': 'A'.repeat(4096),
    'fake api key': 'hm_sk_01m87dr64nfd4w3tj4ah64dbxc_aNnggs1EHCgJhPuLXlTHyfv1If8Swktm3HJ9f7',
    'fake agent key': 'hm_ak_01m87dr64nfd4w3tj4ah64dbxc_aNnggs1EHCgJhPuLXlTHyfv1If8Swktm3HJ9f7',
    'alg none': `${enc({ alg: 'none', typ: 'agent+jwt', kid })}.${p64}.`,
    'alg none, admin': `${enc({ alg: 'none', typ: 'admin+jwt' })}.${enc({ sub: 'mallory', roles: ['admin'], aud: 'admin', iss: admin.issuer, exp: now + 600 })}.`,
    'HS256 with the public key (x)': await hs256(new TextEncoder().encode(jwk.x as string)),
    'HS256 with the public key (JWK)': await hs256(new TextEncoder().encode(JSON.stringify(jwk))),
    'expired agent': await agent({ exp: now - 30 }),
    'agent token, audience admin': await agent({ aud: 'admin' }),
    'agent token, wrong issuer': await agent({ iss: 'https://evil.example' }),
    'agent token, wrong type': await agent({ typ: 'admin+jwt' }),
    'tampered tenant': `${h64}.${enc({ ...payload, tid: claims.foreignTenantId })}.${sig}`,
    'expired admin': await adminSigned({ exp: now - 30 }),
    'admin token, audience agent': await adminSigned({ aud: 'agent' }),
    'unknown kid': `${enc({ alg: 'EdDSA', kid: 'nope', typ: 'agent+jwt' })}.${p64}.${sig}`,
  } as Record<string, string>;
}
