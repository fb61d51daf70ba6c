import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dueFilesForPass } from '../../services/jobs/planner';
import type { DueFile, DueFilesPage } from '../../services/metadata/file-lifecycle';

// A listing with the cursor semantics of file-lifecycle.ts listDueFiles: mark order, `after`
// is the last mark seen, at most 1,000 a page.
function listing(count: number) {
  const files = Array.from({ length: count }, (_, i) => ({ fileId: `f${i + 1}`, markSeq: i + 1 }));
  const calls: { limit: number; after: string | null }[] = [];
  const list = async (opts: { limit: number; after: string | null }): Promise<DueFilesPage> => {
    assert.ok(opts.limit >= 1 && opts.limit <= 1000, `page limit ${opts.limit}`);
    calls.push(opts);
    const from = opts.after === null ? 0 : Number(opts.after);
    const rest = files.filter((f) => f.markSeq > from);
    const items = rest.slice(0, opts.limit);
    const more = rest.length > items.length;
    return { items: items.map((f) => ({ fileId: f.fileId }) as unknown as DueFile), nextCursor: more ? String(items.at(-1)!.markSeq) : null };
  };
  return { list, calls };
}

test('a pass reads due files past the first page, up to its bound, in mark order', async () => {
  const { list, calls } = listing(2_550);
  const all = await dueFilesForPass(list, 50_000, 100);
  assert.equal(all.length, 2_550);
  assert.deepEqual(all.map((f) => f.fileId), Array.from({ length: 2_550 }, (_, i) => `f${i + 1}`));
  assert.equal(calls.length, 3);

  const bounded = await dueFilesForPass(listing(2_550).list, 1_500, 100);
  assert.equal(bounded.length, 1_500);
  assert.equal(bounded.at(-1)!.fileId, 'f1500');
});

test('pages are whole multiples of the group size, so groups start at the same files every pass', async () => {
  const { list, calls } = listing(1_000);
  const all = await dueFilesForPass(list, 50_000, 300);
  assert.equal(all.length, 1_000);
  assert.deepEqual(calls.map((c) => c.limit), [900, 900]);
  assert.equal(calls[1].after, '900');
});

test('an empty listing is one call and no files', async () => {
  const { list, calls } = listing(0);
  assert.deepEqual(await dueFilesForPass(list, 50_000, 100), []);
  assert.equal(calls.length, 1);
});
