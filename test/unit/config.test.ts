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
  assert.equal(c.admin.issuer, 'harbormaster-local');
  assert.equal(c.createTables, true);
  assert.deepEqual([c.region.name, c.region.endpoint, c.region.leaseMs], ['us-east-1', 'http://127.0.0.1:8080', 2000]);
  assert.equal(loadConfig({ AWS_REGION: 'eu-west-1' }).region.name, 'eu-west-1', 'a node runs in its store client\'s region unless told');
});

test('config: bad values stop start-up with a message naming the variable', () => {
  const bad: [Record<string, string>, RegExp][] = [
    [{ PORT: 'eighty' }, /PORT=eighty is not a whole number/],
    [{ PORT: '70000' }, /PORT=70000 is out of range/],
    [{ HM_ROLE: 'everything' }, /HM_ROLE=everything is not one of all, api, workers/],
    [{ REDIS_URL: 'http://x' }, /REDIS_URL must use redis: or rediss:/],
    [{ DYNAMODB_ENDPOINT: 'not a url' }, /DYNAMODB_ENDPOINT is not a valid URL/],
    [{ HM_API_KEY_PEPPER: 'short' }, /HM_API_KEY_PEPPER must be at least 32/],
    [{ NODE_ENV: 'production', REDIS_URL: 'redis://r:6379' }, /HM_API_KEY_PEPPER is required/],
    [{ NODE_ENV: 'production', HM_API_KEY_PEPPER: 'x'.repeat(40) }, /REDIS_URL is required/],
    [{ HM_ADMIN_JWKS_URL: 'https://idp.example.com/jwks.json' }, /HM_ADMIN_ISSUER is required/],
    [{ LOG_LEVEL: 'loud' }, /LOG_LEVEL=loud/],
    [{ HM_REGION: 'US East' }, /HM_REGION=US East is not a region name/],
    [{ HM_REGION_ENDPOINT: 'ftp://x' }, /HM_REGION_ENDPOINT must use/],
    [{ HM_MULTI_REGION_LEASE_MS: '100' }, /HM_MULTI_REGION_LEASE_MS=100 is out of range/],
  ];
  for (const [env, message] of bad) assert.throws(() => loadConfig(env), (e: unknown) => e instanceof ConfigError && message.test((e as Error).message));
});

test('config: production defaults do not create tables', () => {
  const c = loadConfig({ NODE_ENV: 'production', HM_API_KEY_PEPPER: 'x'.repeat(40), REDIS_URL: 'redis://r:6379' });
  assert.equal(c.createTables, false);
});
