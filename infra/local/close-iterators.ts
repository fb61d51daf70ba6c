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
export interface LevelIteratorPrototype {
  return?: () => Promise<void>;
  close(): Promise<void>;
  next(): Promise<unknown>;
}

/** The iterator prototypes of the engines dynalite opens: LevelDB on disk (classic-level) and memory-level, each with the abstract-level it resolves. */
export function levelIteratorPrototypes(): LevelIteratorPrototype[] {
  const fromDynalite = createRequire(createRequire(import.meta.url).resolve('dynalite'));
  const out = new Set<LevelIteratorPrototype>();
  const engines = [() => createRequire(createRequire(fromDynalite.resolve('level')).resolve('classic-level')), () => createRequire(fromDynalite.resolve('memory-level'))];
  for (const engine of engines) {
    let abstract: Record<string, { prototype: LevelIteratorPrototype } | undefined>;
    try {
      abstract = engine()('abstract-level');
    } catch {
      continue;
    }
    for (const name of ['AbstractIterator', 'AbstractKeyIterator', 'AbstractValueIterator']) {
      const proto = abstract[name]?.prototype;
      if (proto) out.add(proto);
    }
  }
  return [...out];
}

let applied = false;

export function closeDynaliteIterators(): void {
  if (applied) return;
  applied = true;
  for (const proto of levelIteratorPrototypes()) {
    if (!proto.return)
      proto.return = function (this: LevelIteratorPrototype) {
        return this.close();
      };
  }
}
