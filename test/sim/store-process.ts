import { mkdirSync } from 'node:fs';
import dynalite from 'dynalite';
import { closeDynaliteIterators } from '../../infra/local/close-iterators';

/**
 * The store of a multi-region layout as its own process: one dynalite on `PORT` that every
 * region's node reaches through its own region link (test/sim/region-link.ts), standing for
 * the MRSC global table. It runs apart from the nodes because a LevelDB directory is locked by
 * the one process that opens it; with `HM_STORE_DIR` the data survives a restart of this
 * process, without it the store is in memory. Prints `store listening on <url>` when ready.
 */
const port = Number(process.env.PORT ?? 0);
const dir = process.env.HM_STORE_DIR || undefined;
if (dir) mkdirSync(dir, { recursive: true });
closeDynaliteIterators();
const server = dynalite({ path: dir, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
server.listen(port, '127.0.0.1', () => {
  const address = server.address() as { port: number };
  console.log(`store listening on http://127.0.0.1:${address.port}`);
});
const stop = () => server.close(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
