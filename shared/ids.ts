import { randomBytes } from 'node:crypto';

/** Crockford base32 in lower case: no i, l, o, u, so ids survive being read aloud. */
const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';

export const ID_PREFIXES = {
  tenant: 'tnt',
  cluster: 'vci',
  apiKey: 'key',
  agentKey: 'akn',
  agentIdentity: 'aid',
  job: 'job',
  auditEvent: 'evt',
} as const;
export type IdKind = keyof typeof ID_PREFIXES;

/** 26 characters: 10 of millisecond time (so ids sort by creation) and 16 random. */
export function newId(kind: IdKind, nowMs = Date.now()): string {
  return `${ID_PREFIXES[kind]}_${ulidBody(nowMs)}`;
}

export function ulidBody(nowMs: number): string {
  let time = '';
  let t = nowMs;
  for (let i = 0; i < 10; i++) {
    time = ALPHABET[t % 32] + time;
    t = Math.floor(t / 32);
  }
  const bytes = randomBytes(16);
  let rand = '';
  for (let i = 0; i < 16; i++) rand += ALPHABET[bytes[i] & 31];
  return time + rand;
}

const BODY = '[0-9a-hjkmnp-tv-z]{26}';
/** Regex source for a well-formed id of a kind; used by the TypeBox path schemas. */
export const idPattern = (kind: IdKind) => `^${ID_PREFIXES[kind]}_${BODY}$`;
export const isId = (kind: IdKind, value: string) => new RegExp(idPattern(kind)).test(value);
