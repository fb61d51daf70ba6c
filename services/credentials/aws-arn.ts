/**
 * AWS ARNs as workload identity sees them. STS `GetCallerIdentity` names a role session
 * (`arn:aws:sts::<account>:assumed-role/<role>/<session>`); trust rules name roles
 * (`arn:aws:iam::<account>:role/<name pattern>`). An assumed-role ARN carries the role's name
 * but not its IAM path, so rule patterns may not name a path either: a pattern such as
 * `role/team-a/*` could not be checked against what STS returns.
 */

const PARTITION = '(aws|aws-cn|aws-us-gov)';
const ACCOUNT = '(\\d{12})';
/** IAM role names: letters, digits and `+=,.@_-`, up to 64 characters. */
const ROLE_NAME = '[\\w+=,.@-]{1,64}';

const ASSUMED_ROLE = new RegExp(`^arn:${PARTITION}:sts::${ACCOUNT}:assumed-role/(${ROLE_NAME})/([\\w+=,.@-]{2,64})$`);
const ROLE_PATTERN = new RegExp(`^arn:${PARTITION}:iam::${ACCOUNT}:role/([\\w+=,.@*?-]{1,64})$`);
const ROLE_WITH_PATH = new RegExp(`^arn:${PARTITION}:iam::${ACCOUNT}:role/.+/`);

export type RolePatternProblem = 'not_a_role_pattern' | 'role_path_not_supported' | 'account_mismatch';

/** Checks a trust rule's role ARN pattern against the rule's account. */
export function checkRolePattern(pattern: string, accountId: string): RolePatternProblem | undefined {
  if (ROLE_WITH_PATH.test(pattern)) return 'role_path_not_supported';
  const m = ROLE_PATTERN.exec(pattern);
  if (!m) return 'not_a_role_pattern';
  if (m[2] !== accountId) return 'account_mismatch';
  return undefined;
}

export interface CallerRole {
  /** `arn:<partition>:iam::<account>:role/<name>`: what tokens name as `sub`. */
  roleArn: string;
  account: string;
  sessionName: string;
}

/**
 * The role behind a caller ARN from STS, or undefined when the caller is not a role session
 * (an IAM user, the account root, a federated user): those are never trusted.
 */
export function roleOfCaller(callerArn: string): CallerRole | undefined {
  const m = ASSUMED_ROLE.exec(callerArn);
  if (!m) return undefined;
  return { roleArn: `arn:${m[1]}:iam::${m[2]}:role/${m[3]}`, account: m[2], sessionName: m[4] };
}

/** IAM-style wildcard match (`*` any run, `?` one character), case-sensitive, whole string. */
export function matchesRolePattern(roleArn: string, pattern: string): boolean {
  let re = '^';
  for (const ch of pattern) re += ch === '*' ? '.*' : ch === '?' ? '.' : ch.replace(/[.+^${}()|[\]\\/]/g, '\\$&');
  return new RegExp(`${re}$`).test(roleArn);
}
