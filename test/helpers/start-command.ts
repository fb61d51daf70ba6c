import { readFileSync } from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '../..');

/**
 * The Node flags of `npm start` (read from package.json), so that tests and benchmarks run
 * the server with the same heap settings users get. `--import tsx` is added by the callers.
 */
export function startFlags(): string[] {
  const start: string = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')).scripts.start;
  const words = start.split(/\s+/);
  if (words[0] !== 'node' || words.at(-1) !== 'infra/server.ts') throw new Error(`unexpected start script: ${start}`);
  const flags: string[] = [];
  for (let i = 1; i < words.length - 1; i++) {
    if (words[i] === '--import') i++;
    else flags.push(words[i]);
  }
  return flags;
}
