import assert from 'node:assert/strict';
import { test } from 'node:test';
import { applyOp } from '../../services/metadata/apply';
import { ClusterCore } from '../../services/metadata/core';
import { FILE_DELETE_PENDING, FILE_LIVE, FileTable, type FileRecord } from '../../services/metadata/file-table';
import { encodeCommitBody } from '../../services/metadata/ops';
import { packResults } from '../../services/metadata/packed-results';
import { decodeState, encodeState } from '../../services/metadata/state-codec';
import { validateCommit } from '../../services/metadata/validate-commit';
import { clusterRef, fileOf } from '../helpers/metadata';

/**
 * The file table keeps its files' fields in columns (file-columns.ts): fingerprints as 16 raw
 * bytes when they are 16-byte base64url, exactly as given otherwise. Whatever went in comes
 * back out, through number reuse, growth and a snapshot.
 */
const file = (id: string, over: Partial<FileRecord> = {}): FileRecord => ({
  id,
  objectKey: `k/${id}`,
  sizeBytes: 2 ** 40 + 3,
  replicas: [{ region: 'r', bucket: 'b', checksum: `c-${id}` }],
  fingerprint: encodeCommitBody({ fileId: id, objectKey: `k/${id}`, sizeBytes: 1, replicas: [], batches: [] }).fingerprint,
  committedAt: 1_800_000_000_123,
  results: packResults([0, 5, -2]),
  live: 2,
  state: FILE_LIVE,
  markedAt: 0,
  markSeq: 0,
  ...over,
});

// Not 16 bytes of base64url: empty, short, long, a character outside the alphabet, and 22
// characters whose last one carries bits past the 16th byte (decodes, but not back to itself).
const ODD = ['', 'x', 'AAAAAAAAAAAAAAAAAAAAAAA', 'AAAAAAAAAAAAAAAAAAAA+A', 'AAAAAAAAAAAAAAAAAAAAAB', 'sha256:0123456789abcdef'];

test('every field of a file comes back as it went in, odd fingerprints included, across growth and reuse', () => {
  const t = new FileTable();
  const added = new Map<number, FileRecord>();
  for (let i = 0; i < 3000; i++) {
    const f = file(`f${i}`, { live: 1 + (i % 7), ...(i % 500 < ODD.length ? { fingerprint: ODD[i % 500] } : {}) });
    added.set(t.add(f), f);
  }
  for (const [n, f] of added) assert.deepEqual(t.view(n), f, `file ${n}`);
  // Marked and removed, then the number reused by a file with a regular fingerprint: no odd one lingers.
  for (const n of [0, 1, 2, 1500]) {
    for (let k = t.liveOf(n); k > 0; k--) t.release(n, 77);
    assert.equal(t.stateOf(n), FILE_DELETE_PENDING);
    assert.equal(t.markedAtOf(n), 77);
    t.remove(n);
    assert.equal(t.view(n), undefined);
  }
  for (const id of ['g0', 'g1', 'g2', 'g3']) {
    const n = t.nextNumber();
    const g = file(id);
    t.add(g);
    assert.deepEqual(t.view(n), g, `${id} at ${n}`);
    assert.equal(t.fingerprintOf(n), g.fingerprint);
  }
  assert.deepEqual([...t.numbersInUse()].slice(0, 3), [0, 1, 2]);
});

test('a state whose files carry odd fingerprints encodes, decodes and re-encodes to the same bytes', () => {
  const cluster = clusterRef();
  const core = new ClusterCore();
  core.execute({ kind: 'createTopic', cluster, input: { name: 't', partitions: 1 } }, 1);
  for (let i = 0; i < 20; i++) {
    const { body, encodedBody, fingerprint } = validateCommit(fileOf(`f${i}`, [{ topic: 't', partition: 0 }]), cluster);
    applyOp(core.state, { type: 'commitFile', body, encodedBody, fingerprint: i < ODD.length ? ODD[i] : fingerprint, at: 5 + i });
  }
  const bytes = encodeState(core.state);
  const copy = decodeState(bytes);
  for (let i = 0; i < ODD.length; i++) assert.equal(copy.files.byId(`f${i}`)?.fingerprint, ODD[i]);
  assert.deepEqual([...copy.files.entries()], [...core.state.files.entries()]);
  assert.deepEqual(encodeState(copy), bytes);
});
