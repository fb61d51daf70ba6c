import { createRequire } from 'node:module';

/**
 * dynalite 4 reads LevelDB through streams that close their iterator with `iterator.return()`
 * when they end or are cut short (a Query's Limit, the 1 MB page), but abstract-level 3's
 * iterators have no `return`, only `close()`: every Query and Scan left its iterator open
 * until the store closed. An open LevelDB iterator pins the files and memtables it started
 * on, so the embedded store's directory and memory grew with every item ever written
 * (overwritten, trimmed or deleted data was never reclaimed): 32 MB to 8.6 GB in a 30-minute
 * soak whose live data stayed a few tens of MB. Giving the iterators the `return` dynalite
 * calls closes each one when its stream is done. Applied once, before the first store opens.
 */
let applied = false;

interface IteratorClass {
  prototype: { return?: () => Promise<void>; close(): Promise<void> };
}

export function closeDynaliteIterators(): void {
  if (applied) return;
  applied = true;
  const fromDynalite = createRequire(createRequire(import.meta.url).resolve('dynalite'));
  // The engines dynalite opens (LevelDB on disk, memory-level in memory) each resolve abstract-level from where they are installed.
  for (const engine of ['classic-level', 'memory-level']) {
    let abstract: Record<string, IteratorClass>;
    try {
      const fromLevel = engine === 'classic-level' ? createRequire(createRequire(fromDynalite.resolve('level')).resolve('classic-level')) : createRequire(fromDynalite.resolve('memory-level'));
      abstract = fromLevel('abstract-level');
    } catch {
      continue;
    }
    for (const name of ['AbstractIterator', 'AbstractKeyIterator', 'AbstractValueIterator']) {
      const proto = abstract[name]?.prototype;
      if (proto && !proto.return) proto.return = function (this: { close(): Promise<void> }) {
        return this.close();
      };
    }
  }
}
