/**
 * Entry of the embedded store's own process (HM_EMBEDDED_STORE=child; see dynalite.ts): runs
 * dynalite on the given data directory and loopback port, tells the parent its endpoint, and
 * exits when the parent asks or goes away (its IPC channel closes), releasing LevelDB's lock.
 */
import { startDynalite } from './dynalite';

const [dir, port] = process.argv.slice(2);
const engine = await startDynalite(dir || undefined, Number(port) || 0);
let closing = false;
const stop = () => {
  if (closing) return;
  closing = true;
  void engine.close().finally(() => process.exit(0));
};
process.on('disconnect', stop);
process.on('message', (m) => m === 'close' && stop());
process.send?.({ endpoint: engine.endpoint });
