export {};
/**
 * `npm run bench`: every benchmark in one run, so that ratios are measured side by side on
 * the same machine state. Each prints readable lines and one JSON line per figure.
 * Narrow with `npm run bench -- heartbeat` (or sequencer, commit-http).
 */
const only = process.argv.slice(2);
const suites: [string, () => Promise<{ run: () => Promise<unknown> }>][] = [
  ['sequencer', () => import('./sequencer')],
  ['commit-http', () => import('./commit-http')],
  ['heartbeat', () => import('./heartbeat')],
];

for (const [name, load] of suites) {
  if (only.length > 0 && !only.includes(name)) continue;
  console.log(`\n== ${name} ==`);
  const started = performance.now();
  await (await load()).run();
  console.log(`(${name}: ${((performance.now() - started) / 1000).toFixed(1)} s)`);
}
process.exit(0);
