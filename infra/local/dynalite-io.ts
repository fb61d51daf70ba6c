import { createRequire } from 'node:module';

/**
 * Three costs of dynalite 4's LevelDB use that an in-process store need not pay, measured on
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
 * - Every LevelDB write (an item, each of its index entries) is such a trip too. Writes
 *   issued in one turn of the event loop go to LevelDB as one batch instead, in the order
 *   they were issued, each answered once the batch is written (as durable as a single put
 *   was: LevelDB's log, not synced). dynalite's per-item locks still order the writes of one
 *   item, as before. Dropped once on a single wall-time comparison of fleet registrations
 *   (which swing 2× run to run on this shared machine), back since the store's CPU per
 *   registration measured about 0.83× with it, alternated side by side.
 *
 * Answers are unchanged: same values, same missing keys, same "Database is closed" error.
 * Applied once, before the first store opens (see startDynalite).
 */
interface LevelLike {
  status: string;
  supports?: { getSync?: boolean };
  get(key: string, cb?: (err: Error | null, value?: unknown) => void): unknown;
  getSync(key: string): unknown;
  put(key: string, value: unknown, cb?: Callback): unknown;
  del(key: string, cb?: Callback): unknown;
  batch(ops: LevelOp[], cb?: Callback): unknown;
}

type LevelOp = { type: 'put'; key: string; value: unknown } | { type: 'del'; key: string };

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
    batchWrites(store.db);
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

/** The key prefix of dynalite's table definitions (its `table` sub-database). */
const TABLE_DEFINITIONS = 'table~';

function batchWrites(db: LevelLike) {
  const batch = db.batch;
  let queue: { ops: LevelOp[]; cb: Callback }[] = [];
  const flush = () => {
    const writes = queue;
    queue = [];
    // dynalite's own batch: its closed-store check, error mapping and tracking for close.
    batch.call(
      db,
      writes.length === 1 ? writes[0].ops : writes.flatMap((w) => w.ops),
      (err: Error | null) => {
        for (const w of writes) w.cb(err);
      },
    );
  };
  const enqueue = (ops: LevelOp[], cb: Callback) => {
    if (queue.length === 0) setImmediate(flush);
    queue.push({ ops, cb });
  };
  const put = db.put;
  const del = db.del;
  // Promise callers keep the original path (dynalite passes callbacks), and so do table
  // definitions: dynalite activates a new table with a write of its own on a timer, which
  // callers that use a table right after creating it (on a zero delay) race; batched, that
  // write would land a turn later than it did.
  const direct = (key: string, cb?: Callback) => typeof cb !== 'function' || key.startsWith(TABLE_DEFINITIONS);
  db.put = function (key, value, cb) {
    if (direct(key, cb)) return put.call(db, key, value, cb);
    enqueue([{ type: 'put', key, value }], cb!);
  };
  db.del = function (key, cb) {
    if (direct(key, cb)) return del.call(db, key, cb);
    enqueue([{ type: 'del', key }], cb!);
  };
  // dynalite's own batches (dropping a table's items) queue behind earlier writes.
  db.batch = function (ops, cb) {
    if (typeof cb !== 'function') return batch.call(db, ops, cb);
    enqueue(ops, cb);
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
