import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, loadConfig } from '../../shared/config';

test('config: defaults need no environment', () => {
  const c = loadConfig({});
  assert.equal(c.port, 8080);
  assert.equal(c.host, '127.0.0.1');
  assert.equal(c.role, 'all');
  assert.equal(c.dynamodbEndpoint, undefined);
  assert.equal(c.redisUrl, undefined);
  assert.equal(c.redisCluster, false, 'a single Redis unless told');
  assert.equal(loadConfig({ HM_REDIS_CLUSTER: 'true', REDIS_URL: 'rediss://cache.example:6379' }).redisCluster, true);
  assert.equal(c.admin.issuer, 'harbormaster-local');
  assert.equal(c.createTables, true);
  assert.deepEqual([c.region.name, c.region.endpoint, c.region.leaseMs], ['us-east-1', 'http://127.0.0.1:8080', 2000]);
  assert.equal(loadConfig({ AWS_REGION: 'eu-west-1' }).region.name, 'eu-west-1', 'a node runs in its store client\'s region unless told');
  assert.equal(c.agents.revocationMaxStalenessMs, 5000, 'five poll intervals');
  assert.equal(loadConfig({ HM_REVOCATION_POLL_MS: '200' }).agents.revocationMaxStalenessMs, 1000);
});

/** Everything production requires, so that each case below breaks exactly one thing. */
const production = {
  NODE_ENV: 'production',
  HM_API_KEY_PEPPER: 'x'.repeat(40),
  REDIS_URL: 'redis://r:6379',
  HM_ADMIN_JWKS_URL: 'https://idp.example.com/.well-known/jwks.json',
  HM_ADMIN_ISSUER: 'https://idp.example.com/',
};

test('config: bad values stop start-up with a message naming the variable', () => {
  const bad: [Record<string, string>, RegExp][] = [
    [{ PORT: 'eighty' }, /PORT=eighty is not a whole number/],
    [{ PORT: '70000' }, /PORT=70000 is out of range/],
    [{ HM_ROLE: 'everything' }, /HM_ROLE=everything is not one of all, api, workers/],
    [{ REDIS_URL: 'http://x' }, /REDIS_URL must use redis: or rediss:/],
    [{ DYNAMODB_ENDPOINT: 'not a url' }, /DYNAMODB_ENDPOINT is not a valid URL/],
    [{ HM_API_KEY_PEPPER: 'short' }, /HM_API_KEY_PEPPER must be at least 32/],
    [{ ...production, HM_API_KEY_PEPPER: '' }, /HM_API_KEY_PEPPER is required/],
    [{ ...production, REDIS_URL: '' }, /REDIS_URL is required/],
    [{ HM_REDIS_CLUSTER: 'yes' }, /HM_REDIS_CLUSTER=yes is not one of true, false/],
    [{ HM_REDIS_CLUSTER: 'true' }, /HM_REDIS_CLUSTER=true needs REDIS_URL/],
    [{ HM_ADMIN_JWKS_URL: 'https://idp.example.com/jwks.json' }, /HM_ADMIN_ISSUER is required/],
    [{ ...production, HM_ADMIN_JWKS_URL: '' }, /HM_ADMIN_JWKS_URL is required when NODE_ENV=production/],
    [{ ...production, HM_ADMIN_JWKS_URL: 'http://idp.example.com/jwks.json', HM_ADMIN_ISSUER: 'https://idp.example.com/' }, /HM_ADMIN_JWKS_URL must use https:/],
    [{ LOG_LEVEL: 'loud' }, /LOG_LEVEL=loud/],
    [{ HM_REGION: 'US East' }, /HM_REGION=US East is not a region name/],
    [{ HM_REGION_ENDPOINT: 'ftp://x' }, /HM_REGION_ENDPOINT must use/],
    [{ HM_MULTI_REGION_LEASE_MS: '100' }, /HM_MULTI_REGION_LEASE_MS=100 is out of range/],
    [{ HM_REVOCATION_POLL_MS: '1000', HM_REVOCATION_MAX_STALENESS_MS: '1500' }, /HM_REVOCATION_MAX_STALENESS_MS=1500 must be at least twice HM_REVOCATION_POLL_MS/],
  ];
  for (const [env, message] of bad) {
    assert.throws(() => loadConfig(env), (e: unknown) => e instanceof ConfigError && message.test((e as Error).message), `${JSON.stringify(env)} → ${message}`);
  }
});

test('config: production defaults do not create tables', () => {
  const c = loadConfig(production);
  assert.equal(c.createTables, false);
  assert.equal(c.admin.jwksUrl, production.HM_ADMIN_JWKS_URL);
});

test('config: outside production a plain-http JWKS (a local IdP) and the local issuer are allowed', () => {
  assert.equal(loadConfig({ HM_ADMIN_JWKS_URL: 'http://127.0.0.1:9000/jwks.json', HM_ADMIN_ISSUER: 'dev-idp' }).admin.jwksUrl, 'http://127.0.0.1:9000/jwks.json');
  assert.equal(loadConfig({ NODE_ENV: 'test' }).admin.jwksUrl, undefined);
});

test('config: workload identity, token vending machine and pepper rotation settings', () => {
  const prod = production;
  const c = loadConfig({ AWS_REGION: 'eu-west-1', HM_PUBLIC_URL: 'https://hm.example.com/' });
  assert.deepEqual(c.identity, { stsEndpoints: ['https://sts.eu-west-1.amazonaws.com'], audience: 'https://hm.example.com' });
  assert.deepEqual(loadConfig({ AWS_REGION: 'cn-north-1' }).identity.stsEndpoints, ['https://sts.cn-north-1.amazonaws.com.cn']);
  assert.equal(c.tvm.roleArn, undefined);
  assert.deepEqual(loadConfig({ HM_STS_ENDPOINT: 'http://127.0.0.1:4566, https://sts.us-west-2.amazonaws.com' }).identity.stsEndpoints, ['http://127.0.0.1:4566', 'https://sts.us-west-2.amazonaws.com']);
  const vpce = 'https://vpce-0a1b2c3d-abcd1234.sts.us-east-1.vpce.amazonaws.com';
  assert.deepEqual(loadConfig({ ...prod, HM_STS_ENDPOINT: vpce }).identity.stsEndpoints, [vpce]);
  const rotated = loadConfig({ HM_API_KEY_PEPPER: `${'n'.repeat(32)},${'o'.repeat(32)}` });
  assert.equal(rotated.apiKeyPepper, 'n'.repeat(32));
  assert.deepEqual(rotated.previousApiKeyPeppers, ['o'.repeat(32)]);
  assert.equal(loadConfig({ HM_TVM_ROLE_ARN: 'arn:aws:iam::123456789012:role/hm-tenant-data' }).tvm.roleArn, 'arn:aws:iam::123456789012:role/hm-tenant-data');

  const bad: [Record<string, string>, RegExp][] = [
    [{ ...prod, HM_STS_ENDPOINT: 'https://evil.example.com' }, /HM_STS_ENDPOINT=https:\/\/evil.example.com is not an AWS STS endpoint/],
    [{ ...prod, HM_STS_ENDPOINT: 'http://sts.us-east-1.amazonaws.com' }, /not an AWS STS endpoint/],
    [{ HM_STS_ENDPOINT: 'https://sts.amazonaws.com/path' }, /must be an origin/],
    [{ HM_STS_ENDPOINT: 'ftp://sts.amazonaws.com' }, /HM_STS_ENDPOINT must use https: or http:/],
    [{ HM_TVM_ROLE_ARN: 'arn:aws:iam::123:role/x' }, /HM_TVM_ROLE_ARN=.* is not an IAM role ARN/],
    [{ HM_TVM_SESSION_S: '60' }, /HM_TVM_SESSION_S=60 is out of range/],
    [{ HM_API_KEY_PEPPER: `${'n'.repeat(32)},short` }, /HM_API_KEY_PEPPER must be at least 32/],
    [{ HM_API_KEY_PEPPER: Array.from({ length: 4 }, (_, i) => String(i).repeat(32)).join(',') }, /at most three peppers/],
  ];
  for (const [env, message] of bad) assert.throws(() => loadConfig(env), (e: unknown) => e instanceof ConfigError && message.test((e as Error).message), JSON.stringify(env));
});
