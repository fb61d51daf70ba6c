import { checksum6, randomBase62 } from '../../shared/crypto';

/**
 * Secrets look like `hm_sk_<idBody>_<secret><checksum>`: the id locates the record, the 32
 * base62 characters carry 190 bits of entropy, and the 6-character CRC32 checksum lets
 * scanners and our own edge reject a mistyped or truncated secret without a store lookup.
 */
const SECRET_LENGTH = 32;
const ID_BODY = '[0-9a-hjkmnp-tv-z]{26}';

export interface ParsedSecret {
  /** The record id, with its prefix (`key_…`, `akn_…`). */
  id: string;
  /** Everything except the checksum: what the stored HMAC covers. */
  material: string;
}

export function secretFormat(secretPrefix: 'hm_sk' | 'hm_ak', idPrefix: 'key' | 'akn') {
  const pattern = new RegExp(`^${secretPrefix}_(${ID_BODY})_([0-9A-Za-z]{${SECRET_LENGTH}})([0-9A-Za-z]{6})$`);
  return {
    /** Builds a new secret for the record id `id` (`key_<body>`). */
    mint(id: string): { secret: string; material: string } {
      const body = id.slice(idPrefix.length + 1);
      const material = `${secretPrefix}_${body}_${randomBase62(SECRET_LENGTH)}`;
      return { secret: material + checksum6(material), material };
    },
    /** 'malformed' when the shape is wrong, 'checksum' when it is a typo, else the parts. */
    parse(secret: string): ParsedSecret | 'malformed' | 'checksum' {
      const m = pattern.exec(secret);
      if (!m) return 'malformed';
      const material = `${secretPrefix}_${m[1]}_${m[2]}`;
      if (checksum6(material) !== m[3]) return 'checksum';
      return { id: `${idPrefix}_${m[1]}`, material };
    },
    /** What lists show instead of the secret. */
    hint: (id: string) => `${secretPrefix}_${id.slice(idPrefix.length + 1)}_…`,
  };
}

export const apiKeyFormat = secretFormat('hm_sk', 'key');
export const agentKeyFormat = secretFormat('hm_ak', 'akn');
