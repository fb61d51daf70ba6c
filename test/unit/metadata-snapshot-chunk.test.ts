import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SNAPSHOT_CHUNK_BYTES } from '../../services/metadata/context';

/**
 * A default snapshot chunk's base64 text, with the item's JSON around it, stays under V8's
 * large-object size (131,072 bytes): above it every chunk written or deleted cost several
 * times the CPU in long tasks of the leader's loop (context.ts, Tuning).
 */
test('the default snapshot chunk stays under the large-object size once base64-encoded', () => {
  const base64 = Math.ceil(SNAPSHOT_CHUNK_BYTES / 3) * 4;
  const itemJson = 2048;
  assert.ok(base64 + itemJson <= 131_072, `${base64} base64 characters`);
});
