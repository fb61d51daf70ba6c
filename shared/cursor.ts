import { badRequest } from './errors';
import { hmacSha256, safeEqual } from './crypto';
import type { Item } from './dynamo';

/**
 * Opaque pagination cursors: the store's last key plus the list they belong to (for
 * example `T#tnt_…:clusters`), signed. A cursor that was altered, or that comes from another
 * list or another tenant, is refused with 400 `invalid_cursor` and never reads anything.
 */
export interface CursorCodec {
  encode(scope: string, lastKey: Item | undefined): string | undefined;
  decode(scope: string, cursor: string | undefined): Item | undefined;
}

/** `secret` may list several (current first, during a pepper rotation): any of them verifies. */
export function cursorCodec(secret: string | readonly string[]): CursorCodec {
  const keys = (typeof secret === 'string' ? [secret] : secret).map((s) => hmacSha256(s, 'harbormaster/cursor/v1'));
  const signWith = (key: Buffer, payload: string) => hmacSha256(key, payload).subarray(0, 16).toString('base64url');
  const sign = (payload: string) => signWith(keys[0], payload);
  return {
    encode(scope, lastKey) {
      if (!lastKey) return undefined;
      const payload = Buffer.from(JSON.stringify({ s: scope, k: lastKey })).toString('base64url');
      return `${payload}.${sign(payload)}`;
    },
    decode(scope, cursor) {
      if (cursor === undefined || cursor === '') return undefined;
      const invalid = () => badRequest('invalid_cursor', 'The cursor is malformed or does not belong to this list.');
      const dot = cursor.indexOf('.');
      if (dot <= 0 || cursor.length > 2048) throw invalid();
      const payload = cursor.slice(0, dot);
      if (!keys.some((key) => safeEqual(signWith(key, payload), cursor.slice(dot + 1)))) throw invalid();
      let parsed: { s?: unknown; k?: unknown };
      try {
        parsed = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
      } catch {
        throw invalid();
      }
      if (parsed.s !== scope || typeof parsed.k !== 'object' || parsed.k === null) throw invalid();
      return parsed.k as Item;
    },
  };
}
