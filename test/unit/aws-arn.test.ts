import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkRolePattern, matchesRolePattern, roleOfCaller } from '../../services/credentials/aws-arn';

test('caller ARNs from STS: role sessions normalise to their role; other principals are not roles', () => {
  assert.deepEqual(roleOfCaller('arn:aws:sts::123456789012:assumed-role/warp-agents-prod/i-0abc123'), {
    roleArn: 'arn:aws:iam::123456789012:role/warp-agents-prod',
    account: '123456789012',
    sessionName: 'i-0abc123',
  });
  assert.equal(roleOfCaller('arn:aws-cn:sts::123456789012:assumed-role/r/s1')?.roleArn, 'arn:aws-cn:iam::123456789012:role/r');
  assert.equal(roleOfCaller('arn:aws-us-gov:sts::123456789012:assumed-role/r.x@y=z,w+v/botocore-session-1')?.roleArn, 'arn:aws-us-gov:iam::123456789012:role/r.x@y=z,w+v');
  for (const arn of [
    'arn:aws:iam::123456789012:user/warp-agents-prod',
    'arn:aws:iam::123456789012:root',
    'arn:aws:sts::123456789012:federated-user/bob',
    'arn:aws:iam::123456789012:role/warp-agents-prod',
    'arn:aws:sts::12345678901:assumed-role/r/s1',
    'arn:aws:sts::123456789012:assumed-role/r/s1/extra',
    'arn:evil:sts::123456789012:assumed-role/r/s1',
  ]) {
    assert.equal(roleOfCaller(arn), undefined, arn);
  }
});

test('role patterns: * and ? wildcards, whole ARN, case-sensitive, nothing else special', () => {
  const role = 'arn:aws:iam::123456789012:role/warp-agents-prod';
  assert.ok(matchesRolePattern(role, 'arn:aws:iam::123456789012:role/warp-agents-*'));
  assert.ok(matchesRolePattern(role, 'arn:aws:iam::123456789012:role/*'));
  assert.ok(matchesRolePattern(role, 'arn:aws:iam::123456789012:role/warp-agents-pro?'));
  assert.ok(!matchesRolePattern(role, 'arn:aws:iam::123456789012:role/Warp-agents-*'));
  assert.ok(!matchesRolePattern(role, 'arn:aws:iam::123456789012:role/warp-agents'));
  assert.ok(!matchesRolePattern(role, 'arn:aws:iam::999999999999:role/*'));
  assert.ok(!matchesRolePattern('arn:aws:iam::123456789012:role/warpXagents-prod', 'arn:aws:iam::123456789012:role/warp.agents-prod'), '. is literal');
});

test('rule patterns are checked against the rule\'s account and may not name a path', () => {
  assert.equal(checkRolePattern('arn:aws:iam::123456789012:role/warp-*', '123456789012'), undefined);
  assert.equal(checkRolePattern('arn:aws:iam::123456789012:role/team/warp-*', '123456789012'), 'role_path_not_supported');
  assert.equal(checkRolePattern('arn:aws:iam::123456789012:role/warp-*', '999999999999'), 'account_mismatch');
  assert.equal(checkRolePattern('arn:aws:iam::123456789012:user/warp', '123456789012'), 'not_a_role_pattern');
  assert.equal(checkRolePattern('arn:aws:iam::*:role/warp', '123456789012'), 'not_a_role_pattern');
  assert.equal(checkRolePattern(`arn:aws:iam::123456789012:role/${'x'.repeat(65)}`, '123456789012'), 'not_a_role_pattern');
});
