import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { STSClient } from '@aws-sdk/client-sts';
import { manualClock } from '../../shared/clock';
import { createLogger } from '../../shared/logger';
import { isAppError } from '../../shared/errors';
import { tokenVendingMachine } from '../../shared/tenant-credentials';
import { tenantSessionPolicy } from '../../shared/tenant-policy';
import { startStsStandIn, type StsStandIn } from '../sim/sts';

// The token vending machine against the STS stand-in (real AssumeRole over HTTP), with a
// manual clock for its cache decisions.

const ROLE = 'arn:aws:iam::999999999999:role/harbormaster-tenant-data';
const TABLES = ['hm-control', 'hm-metadata'];
let sts: StsStandIn;
let client: STSClient;

before(async () => {
  sts = await startStsStandIn();
  sts.createRole(ROLE, { trusted: ['arn:aws:iam::999999999999:user/control-plane'], maxSessionSeconds: 3600 });
  client = new STSClient({ region: 'us-east-1', endpoint: sts.url, credentials: sts.userCredentials('999999999999', 'control-plane'), maxAttempts: 1 });
});
after(async () => {
  client.destroy();
  await sts.close();
});

const machine = (clock = manualClock(), cacheSize = 100) =>
  tokenVendingMachine({ roleArn: ROLE, sts: client, tables: TABLES, sessionSeconds: 3600, cacheSize, clock, logger: createLogger('silent') });

test('per tenant: AssumeRole with the tenant\'s session policy, once, however many ask at the same time', async () => {
  const tvm = machine();
  const before = sts.count('AssumeRole');
  const all = await Promise.all(Array.from({ length: 50 }, () => tvm.credentials('tnt_a')));
  assert.equal(sts.count('AssumeRole'), before + 1, 'one AssumeRole for 50 concurrent callers');
  assert.ok(all.every((c) => c.accessKeyId === all[0].accessKeyId));
  const seen = sts.inspect(all[0].accessKeyId)!;
  assert.equal(seen.principal.arn, 'arn:aws:sts::999999999999:assumed-role/harbormaster-tenant-data/hm-tnt_a');
  assert.deepEqual(seen.sessionPolicy, tenantSessionPolicy('tnt_a', TABLES), 'STS got exactly the generated policy');
  const other = await tvm.credentials('tnt_b');
  assert.notEqual(other.accessKeyId, all[0].accessKeyId);
  assert.deepEqual(sts.inspect(other.accessKeyId)!.sessionPolicy, tenantSessionPolicy('tnt_b', TABLES));
  assert.equal((await tvm.credentials('tnt_a')).accessKeyId, all[0].accessKeyId, 'cached');
  assert.equal(sts.count('AssumeRole'), before + 2);
});

test('renewal: in the background before expiry (callers keep the current credentials, one AssumeRole); waited for when nearly expired', async () => {
  const clock = manualClock();
  const tvm = machine(clock);
  const first = await tvm.credentials('tnt_r');
  const base = sts.count('AssumeRole');
  clock.advance(44 * 60_000);
  assert.equal((await tvm.credentials('tnt_r')).accessKeyId, first.accessKeyId, 'not yet due (renewal starts 10 to 15 min before expiry)');
  assert.equal(sts.count('AssumeRole'), base);
  clock.advance(6 * 60_000 + 1);
  const during = await Promise.all(Array.from({ length: 20 }, () => tvm.credentials('tnt_r')));
  assert.ok(during.every((c) => c.accessKeyId === first.accessKeyId), 'due: answered at once with the current credentials');
  let renewed = first;
  for (let i = 0; i < 100 && renewed.accessKeyId === first.accessKeyId; i++) {
    await new Promise((r) => setTimeout(r, 10));
    renewed = await tvm.credentials('tnt_r');
  }
  assert.notEqual(renewed.accessKeyId, first.accessKeyId, 'the background renewal landed');
  assert.equal(sts.count('AssumeRole'), base + 1, 'one renewal for every caller in the window');

  // Past the hard margin (a minute before expiry) nobody gets the old credentials.
  const tvm2 = machine(clock);
  const old = await tvm2.credentials('tnt_h');
  clock.advance(59 * 60_000 + 1);
  const fresh = await tvm2.credentials('tnt_h');
  assert.notEqual(fresh.accessKeyId, old.accessKeyId);
});

test('bounded: the least recently used tenants fall out of the cache', async () => {
  const tvm = machine(manualClock(), 10);
  for (let i = 0; i < 25; i++) await tvm.credentials(`tnt_${i}`);
  assert.equal(tvm.stats().tenants, 10);
  assert.equal(tvm.stats().assumeRoleCalls, 25);
});

test('STS refusing or failing is a retryable 503 for the request, never a hang', async () => {
  const denied = tokenVendingMachine({
    roleArn: 'arn:aws:iam::999999999999:role/not-trusting-us',
    sts: client,
    tables: TABLES,
    sessionSeconds: 3600,
    cacheSize: 10,
    clock: manualClock(),
    logger: createLogger('silent'),
  });
  await assert.rejects(denied.credentials('tnt_x'), (e: unknown) => isAppError(e) && e.status === 503 && e.code === 'credentials_unavailable');
  sts.setFault('internal-error');
  try {
    await assert.rejects(machine().credentials('tnt_y'), (e: unknown) => isAppError(e) && e.code === 'credentials_unavailable');
  } finally {
    sts.setFault('none');
  }
});
