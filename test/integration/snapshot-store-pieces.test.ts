import { test } from 'node:test';
import assert from 'node:assert/strict';
import { snapshotStore } from '../../services/metadata/snapshot-store';
import { clusterPk } from '../../shared/keys';
import { startTestDynamo } from '../helpers/dynamo';

/**
 * The store deflates a snapshot's parts as one stream, joining runs of small parts into
 * buffers it reuses once the deflater is done with them (snapshot-store.ts). Many runs of
 * small parts, each part's bytes its own, between large parts fed as they are: what loads
 * back is exactly the parts in order, so no reused buffer was overwritten before it was read.
 */
test('a snapshot of many small parts between large ones loads back byte for byte', async () => {
  const parts: Uint8Array[] = [];
  let seed = 7;
  const next = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31);
  for (let i = 0; i < 3000; i++) {
    // Mostly small parts (joined), now and then one of at least 64 KB (fed on its own), and empty ones.
    const size = i % 400 === 399 ? 70_000 + (next() % 50_000) : i % 97 === 0 ? 0 : 1 + (next() % 4000);
    const part = new Uint8Array(size);
    // Compressible but different in every part: a copy of another part's bytes would not match.
    for (let k = 0; k < size; k++) part[k] = (i * 31 + (k >> 3) * 7) & 0xff;
    parts.push(part);
  }
  const total = parts.reduce((n, p) => n + p.length, 0);
  assert.ok(total > 4 * 256 * 1024, 'several joined pieces');
  const expected = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    expected.set(p, at);
    at += p.length;
  }

  const d = await startTestDynamo({ prefix: 'snappieces-' });
  try {
    const store = snapshotStore(d.db, d.tables.metadata);
    const pk = clusterPk('tnt_pieces', 'vci_pieces');
    const pointer = await store.write(pk, 1, parts, { chunkBytes: 64_000, createdAt: 1 });
    assert.ok(pointer);
    assert.equal(pointer.rawBytes, total);
    const loaded = await store.load(pk, pointer);
    assert.equal(loaded.length, total);
    assert.ok(Buffer.compare(Buffer.from(loaded), Buffer.from(expected)) === 0, 'the loaded bytes are the parts in order');
  } finally {
    await d.close();
  }
});
