import { createRequire } from 'node:module';

/**
 * Two costs of dynalite 4's LevelDB reads that an in-process store need not pay, measured on
 * a registration storm (each registration reads and writes three items):
 *
 * - Every item operation first reads its table's definition from LevelDB (`getTable`): half
 *   of all LevelDB reads. Definitions change only through dynalite's own table writes
 *   (create, update, delete and their status steps), so item operations get them from
 *   memory here, dropped whenever one of those writes runs.
 * - Every LevelDB read is an asynchronous native call: a trip through libuv's thread pool,
 *   a promise and a `setImmediate` before dynalite continues. Reads are served by LevelDB's
 *   memtable and block cache (page cache at worst), so they are made synchronously instead
 *   (abstract-level's `getSync`), with the callback still called on a later tick.
 *
 * Writes stay as dynalite makes them: batching one event-loop turn's LevelDB writes into one
 * native call was cheaper per item in isolation but made a 10,000-agent registration with
 * heartbeats slower end to end (22.6 against 17.8 s, heartbeat bench), so it was dropped.
 *
 * Answers are unchanged: same values, same missing keys, same "Database is closed" error.
 * Applied once, before the first store opens (see startDynalite).
 */
interface LevelLike {
  status: string;
  supports?: { getSync?: boolean };
  get(key: string, cb?: (err: Error | null, value?: unknown) => void): unknown;
  getSync(key: string): unknown;
}

type Callback = (err: Error | null, value?: unknown) => void;

interface SubDb {
  put(...args: unknown[]): unknown;
  del(...args: unknown[]): unknown;
  batch(...args: unknown[]): unknown;
}

interface DynaliteStore {
  db: LevelLike;
  tableDb: SubDb;
  getTable(name: string, checkStatus: unknown, cb?: Callback): void;
  lifecycleManager?: { getState(): string };
}

let applied = false;

export function speedUpDynaliteIo(): void {
  if (applied) return;
  applied = true;
  const fromDynalite = createRequire(createRequire(import.meta.url).resolve('dynalite'));
  const dbModule = fromDynalite('./db') as { create(options: unknown): DynaliteStore };
  const create = dbModule.create;
  dbModule.create = function (options: unknown) {
    const store = create(options);
    syncReads(store);
    cacheTables(store);
    return store;
  };
}

function syncReads(store: DynaliteStore) {
  const db = store.db;
  if (!db.supports?.getSync) return;
  const asyncGet = db.get;
  db.get = function (key: string, cb?: Callback) {
    // Promise callers, a store still opening, and a closed one keep the original path.
    if (typeof cb !== 'function' || db.status !== 'open' || store.lifecycleManager?.getState() === 'closed') return asyncGet.call(db, key, cb);
    let value: unknown;
    try {
      value = db.getSync(key);
    } catch (err) {
      if ((err as { code?: string }).code === 'LEVEL_DATABASE_NOT_OPEN') return process.nextTick(cb, new Error('Database is closed'));
      return process.nextTick(cb, err as Error);
    }
    process.nextTick(cb, null, value);
  };
}

/**
 * Item operations ask for their table with `getTable(name, cb)` and only read what they get;
 * table operations and DescribeTable ask with `getTable(name, false, cb)` and some change
 * the object before writing it back: those keep reading LevelDB, and get their own object.
 */
function cacheTables(store: DynaliteStore) {
  const tableDb = store.tableDb;
  const cache = new Map<string, object>();
  // A read caches what it found only if no definition write started or ended meanwhile (nor
  // is under way), so that a read racing a write never keeps the old definition.
  let generation = 0;
  let writing = 0;
  const getTable = store.getTable;
  store.getTable = function (name: string, checkStatus: unknown, cb?: Callback) {
    if (typeof checkStatus !== 'function') return getTable.call(store, name, checkStatus, cb);
    const done = checkStatus as Callback;
    const hit = cache.get(name);
    if (hit) return process.nextTick(done, null, hit);
    const seen = generation;
    getTable.call(store, name, (err: Error | null, table?: unknown) => {
      if (!err && table && typeof table === 'object' && writing === 0 && generation === seen) cache.set(name, table);
      done(err, table);
    });
  };
  const invalidating =
    (write: (...args: unknown[]) => unknown) =>
    (...args: unknown[]) => {
      cache.clear();
      generation++;
      writing++;
      const done = () => {
        writing--;
        generation++;
        cache.clear();
      };
      const cb = args.at(-1);
      if (typeof cb !== 'function') {
        // Promise style (dynalite itself always passes a callback).
        const out = write.apply(tableDb, args) as Promise<unknown>;
        void Promise.resolve(out).then(done, done);
        return out;
      }
      return write.apply(tableDb, [
        ...args.slice(0, -1),
        (err: Error | null, v?: unknown) => {
          done();
          cb(err, v);
        },
      ]);
    };
  tableDb.put = invalidating(tableDb.put);
  tableDb.del = invalidating(tableDb.del);
  tableDb.batch = invalidating(tableDb.batch);
}
