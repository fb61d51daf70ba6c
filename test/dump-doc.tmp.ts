import { writeFileSync } from 'node:fs';
import { startHarness } from './helpers/harness';
const h = await startHarness({ workers: false });
const r = await h.request('GET', '/docs/json');
writeFileSync('/tmp/oa/doc.json', JSON.stringify(r.body, null, 1));
console.log(r.status, Object.keys(r.body.paths).length);
await h.close();
