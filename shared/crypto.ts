import * as nodeCrypto from 'node:crypto';
import { createCipheriv, createDecipheriv, createHash, createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';
import { crc32 } from 'node:zlib';

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** Uniformly random base62 string (rejection sampling keeps it unbiased). */
export function randomBase62(length: number): string {
  let out = '';
  while (out.length < length) {
    for (const b of randomBytes(length * 2)) {
      if (b < 248) out += BASE62[b % 62];
      if (out.length === length) break;
    }
  }
  return out;
}

export function base62Fixed(n: number, width: number): string {
  let out = '';
  let v = n >>> 0;
  for (let i = 0; i < width; i++) {
    out = BASE62[v % 62] + out;
    v = Math.floor(v / 62);
  }
  return out;
}

/** Six base62 characters of CRC32: lets us reject a mistyped secret without a lookup. */
export const checksum6 = (s: string) => base62Fixed(crc32(s), 6);

export const hmacSha256 = (key: string | Buffer, data: string) =>
  createHmac('sha256', key).update(data).digest();

export const hmacHex = (key: string | Buffer, data: string) => hmacSha256(key, data).toString('hex');

/** Constant-time comparison of two hex or base64 digests. */
export function safeEqual(a: string | Buffer, b: string | Buffer): boolean {
  const ab = typeof a === 'string' ? Buffer.from(a) : a;
  const bb = typeof b === 'string' ? Buffer.from(b) : b;
  if (ab.length !== bb.length) return false;
  return timingSafeEqual(ab, bb);
}

// One-shot `crypto.hash` (Node ≥ 20.12) is about twice as fast as a Hash object on short
// inputs; every agent request hashes its bearer token (the verified-token cache key).
const oneShot = (nodeCrypto as { hash?: (alg: string, data: string, enc: 'hex') => string }).hash;
export const sha256Hex = oneShot ? (data: string) => oneShot('sha256', data, 'hex') : (data: string) => createHash('sha256').update(data).digest('hex');

/** A 32-byte key for one purpose, derived from a master secret (HKDF-SHA256). */
export const deriveKey = (secret: string, purpose: string) =>
  Buffer.from(hkdfSync('sha256', Buffer.from(secret), Buffer.alloc(0), Buffer.from(`harbormaster/${purpose}`), 32));

/**
 * A key-encryption key, or several during a pepper rotation: the first seals, any of them
 * unseals (what was sealed before the rotation stays readable).
 */
export type Kek = Buffer | readonly Buffer[];

/**
 * AES-256-GCM: `iv.tag.ciphertext`, base64url. Used for secrets kept in the store. `aad`
 * binds the ciphertext to its context (e.g. the item key): unsealing elsewhere fails.
 */
export function seal(kek: Kek, plaintext: string, aad?: string): string {
  const key = Buffer.isBuffer(kek) ? kek : kek[0];
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  if (aad !== undefined) cipher.setAAD(Buffer.from(aad));
  const ct = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return [iv, cipher.getAuthTag(), ct].map((b) => b.toString('base64url')).join('.');
}

/** Throws when no key, the context (`aad`) or the ciphertext is not the one sealed. */
export function unseal(kek: Kek, sealed: string, aad?: string): string {
  const [iv, tag, ct] = sealed.split('.').map((p) => Buffer.from(p, 'base64url'));
  const keys = Buffer.isBuffer(kek) ? [kek] : kek;
  for (let i = 0; ; i++) {
    try {
      const decipher = createDecipheriv('aes-256-gcm', keys[i], iv);
      if (aad !== undefined) decipher.setAAD(Buffer.from(aad));
      decipher.setAuthTag(tag);
      return Buffer.concat([decipher.update(ct), decipher.final()]).toString('utf8');
    } catch (e) {
      if (i === keys.length - 1) throw e;
    }
  }
}
