import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { startStsStandIn, type IssuedCredentials, type StsStandIn } from '../sim/sts';
import { identitySigner } from '../sim/agent-identity';

// The STS stand-in is what every workload-identity test trusts: check it against the real
// AWS SDK (its signer and its response parsers), including the failures STS answers.

const ROLE = 'arn:aws:iam::123456789012:role/warp-agents-prod';
let sts: StsStandIn;
before(async () => {
  sts = await startStsStandIn();
  sts.createRole(ROLE, { trusted: ['arn:aws:iam::999999999999:user/*'] });
});
after(() => sts.close());

const client = (credentials: IssuedCredentials, extra: Record<string, unknown> = {}) =>
  new STSClient({ region: 'us-east-1', endpoint: sts.url, credentials, maxAttempts: 1, ...extra });

async function failure(p: Promise<unknown>) {
  try {
    await p;
  } catch (e) {
    const err = e as { name: string; message: string; $metadata?: { httpStatusCode?: number } };
    return { name: err.name, status: err.$metadata?.httpStatusCode, message: err.message };
  }
  throw new Error('expected STS to refuse');
}

test('GetCallerIdentity answers the assumed-role ARN, account and user id of the signing session', async () => {
  const creds = sts.roleCredentials(ROLE, 'i-0abc');
  const out = await client(creds).send(new GetCallerIdentityCommand({}));
  assert.equal(out.Arn, 'arn:aws:sts::123456789012:assumed-role/warp-agents-prod/i-0abc');
  assert.equal(out.Account, '123456789012');
  assert.match(out.UserId!, /^AROA[A-Z2-7]{17}:i-0abc$/);
});

test('bad credentials and signatures get the codes STS answers', async () => {
  const creds = sts.roleCredentials(ROLE);
  const wrongSecret = await failure(client({ ...creds, secretAccessKey: 'not-the-secret' }).send(new GetCallerIdentityCommand({})));
  assert.deepEqual([wrongSecret.name, wrongSecret.status], ['SignatureDoesNotMatch', 403]);
  const unknown = await failure(client({ accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'x' }).send(new GetCallerIdentityCommand({})));
  assert.deepEqual([unknown.name, unknown.status], ['InvalidClientTokenId', 403]);
  const wrongToken = await failure(client({ ...creds, sessionToken: 'forged' }).send(new GetCallerIdentityCommand({})));
  assert.equal(wrongToken.name, 'InvalidClientTokenId');
  const stale = await failure(client(creds, { systemClockOffset: -20 * 60_000 }).send(new GetCallerIdentityCommand({})));
  assert.equal(stale.name, 'SignatureDoesNotMatch');
  assert.match(stale.message, /^Signature expired: \d{8}T\d{6}Z is now earlier than/);
  const future = await failure(client(creds, { systemClockOffset: 20 * 60_000 }).send(new GetCallerIdentityCommand({})));
  assert.match(future.message, /^Signature not yet current/);
  const expired = sts.roleCredentials(ROLE, 'old', -1);
  assert.equal((await failure(client(expired).send(new GetCallerIdentityCommand({})))).name, 'ExpiredToken');
  const wrongRegion = await failure(new STSClient({ region: 'eu-west-1', endpoint: sts.url, credentials: creds, maxAttempts: 1 }).send(new GetCallerIdentityCommand({})));
  assert.equal(wrongRegion.name, 'SignatureDoesNotMatch');
});

test('a captured signed request verifies once forwarded verbatim, and fails when a signed header or the body changes', async () => {
  const signer = identitySigner({ clusterId: 'vci_x', credentials: sts.roleCredentials(ROLE, 'fwd'), stsEndpoint: sts.url, region: 'us-east-1', audience: 'https://hm.example' });
  const signed = await signer.sign();
  signer.close();
  const headers = JSON.parse(Buffer.from(signed.iamRequestHeaders, 'base64').toString()) as Record<string, string>;
  const body = Buffer.from(signed.iamRequestBody, 'base64').toString();
  assert.match(headers.authorization, /SignedHeaders=[^,]*x-harbormaster-audience/, 'the audience header is signed');
  const post = (h: Record<string, string>, b = body) => fetch(`${sts.url}/`, { method: 'POST', headers: h, body: b });
  const ok = await post(headers);
  assert.equal(ok.status, 200);
  assert.match(await ok.text(), /<Arn>arn:aws:sts::123456789012:assumed-role\/warp-agents-prod\/fwd<\/Arn>/);
  const tampered = await post({ ...headers, 'x-harbormaster-audience': 'https://elsewhere.example' });
  assert.equal(tampered.status, 403);
  assert.match(await tampered.text(), /<Code>SignatureDoesNotMatch<\/Code>/);
  const otherBody = await post({ ...headers, 'content-length': '43' }, 'Action=GetCallerIdentity&Version=2011-06-16');
  assert.equal(otherBody.status, 400);
  const unsigned = await post(Object.fromEntries(Object.entries(headers).filter(([k]) => k !== 'authorization')));
  assert.equal(unsigned.status, 403);
  assert.match(await unsigned.text(), /<Code>MissingAuthenticationToken<\/Code>/);
});

test('AssumeRole: trusted callers get session credentials that carry the session policy; others get AccessDenied', async () => {
  const vendor = sts.userCredentials('999999999999', 'control-plane');
  const policy = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'dynamodb:GetItem', Resource: '*' }] });
  const out = await client(vendor).send(new AssumeRoleCommand({ RoleArn: ROLE, RoleSessionName: 'hm-tnt_1', Policy: policy, DurationSeconds: 900 }));
  assert.match(out.Credentials!.AccessKeyId!, /^ASIA/);
  assert.ok(out.Credentials!.Expiration! > new Date(Date.now() + 800_000));
  assert.equal(out.AssumedRoleUser!.Arn, 'arn:aws:sts::123456789012:assumed-role/warp-agents-prod/hm-tnt_1');
  assert.ok(out.PackedPolicySize! > 0);
  assert.deepEqual(sts.inspect(out.Credentials!.AccessKeyId!)!.sessionPolicy, JSON.parse(policy));
  const session = { accessKeyId: out.Credentials!.AccessKeyId!, secretAccessKey: out.Credentials!.SecretAccessKey!, sessionToken: out.Credentials!.SessionToken! };
  assert.equal((await client(session).send(new GetCallerIdentityCommand({}))).Arn, out.AssumedRoleUser!.Arn);

  const denied = await failure(client(sts.roleCredentials(ROLE)).send(new AssumeRoleCommand({ RoleArn: ROLE, RoleSessionName: 'x1' })));
  assert.deepEqual([denied.name, denied.status], ['AccessDenied', 403]);
  const badPolicy = await failure(client(vendor).send(new AssumeRoleCommand({ RoleArn: ROLE, RoleSessionName: 'x1', Policy: '{nope' })));
  assert.equal(badPolicy.name, 'MalformedPolicyDocumentException', 'the SDK maps the modelled code to its exception');
  const tooLong = await failure(client(vendor).send(new AssumeRoleCommand({ RoleArn: ROLE, RoleSessionName: 'x1', DurationSeconds: 7200 })));
  assert.equal(tooLong.name, 'ValidationError');
});

test('faults: throttling and internal failures come back as STS errors, dropped connections as network errors', async () => {
  const c = client(sts.roleCredentials(ROLE));
  try {
    sts.setFault('throttle');
    assert.equal((await failure(c.send(new GetCallerIdentityCommand({})))).name, 'Throttling');
    sts.setFault('internal-error');
    assert.equal((await failure(c.send(new GetCallerIdentityCommand({})))).status, 500);
    sts.setFault('drop');
    assert.match((await failure(c.send(new GetCallerIdentityCommand({})))).message, /socket hang up|ECONNRESET/);
  } finally {
    sts.setFault('none');
  }
  assert.ok(sts.count('GetCallerIdentity') > 5);
});
