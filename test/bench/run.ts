import { spawnSync } from 'node:child_process';
import path from 'node:path';

/**
 * `npm run bench`: every benchmark in one run, so that ratios are measured side by side on
 * the same machine state. Each prints readable lines and one JSON line per figure. Each runs
 * in its own process (with this one's Node flags), so that one's heap and leftovers do not
 * weigh on the next. Narrow with `npm run bench -- heartbeat` (or sequencer, snapshot-stall, log, commit-http,
 * groups-http, sweep-stall, jobs, token-exchange, tenant-fence). The region-outage bench (`regions`, about 25
 * minutes) and the mixed soak (`soak`, HM_SOAK_MINUTES, default 30) run only when named.
 */
const only = process.argv.slice(2);
const suites = ['sequencer', 'snapshot-stall', 'journal-ceiling', 'log', 'commit-http', 'groups-http', 'heartbeat', 'sweep-stall', 'registration', 'jobs', 'token-exchange', 'tenant-fence', 'lambda-cold-start', 'store-client', 'regions', 'soak'];
const onlyWhenNamed = new Set(['regions', 'soak', 'registration', 'store-client']);
let failed = 0;

for (const name of suites) {
  if (only.length > 0 ? !only.includes(name) : onlyWhenNamed.has(name)) continue;
  console.log(`\n== ${name} ==`);
  const started = performance.now();
  const r = spawnSync(process.execPath, [...process.execArgv, path.join(import.meta.dirname, `${name}.ts`)], { stdio: 'inherit' });
  if (r.status !== 0) failed++;
  console.log(`(${name}: ${((performance.now() - started) / 1000).toFixed(1)} s${r.status !== 0 ? `, FAILED with ${r.status ?? r.signal}` : ''})`);
}
process.exit(failed > 0 ? 1 : 0);
