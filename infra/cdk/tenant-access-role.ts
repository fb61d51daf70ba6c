import { Duration } from 'aws-cdk-lib';
import { ArnPrincipal, CompositePrincipal, PolicyDocument, PolicyStatement, Role, type IRole } from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';

/** An IAM policy document as JSON: what a session-policy generator returns. */
export interface PolicyJson {
  Version: string;
  Statement: Record<string, unknown>[];
}

/** Builds the policy that confines a session to one tenant's items. */
export type TenantPolicyGenerator = (tenant: string, tableArns: string[]) => PolicyJson;

/** The session tag naming the tenant; the role's own policy reads it back as a variable. */
export const TENANT_SESSION_TAG = 'hm:tenant';
export const TENANT_FROM_SESSION = '${aws:PrincipalTag/hm:tenant}';

/** Item actions the control plane uses (no Scan, no table management). */
export const ITEM_ACTIONS = ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:Query', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:BatchWriteItem', 'dynamodb:ConditionCheckItem'];

/**
 * Tenant isolation by leading key: every key the request touches must be the tenant's own
 * partition (`T#<tenant>` or `T#<tenant>#…`). The Null guard refuses requests that carry no
 * leading key at all (ForAllValues over an empty set would otherwise match).
 */
export const leadingKeyPolicy: TenantPolicyGenerator = (tenant, tableArns) => ({
  Version: '2012-10-17',
  Statement: [
    {
      Sid: 'TenantItemsOnly',
      Effect: 'Allow',
      Action: ITEM_ACTIONS,
      Resource: tableArns,
      Condition: {
        'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [`T#${tenant}`, `T#${tenant}#*`] },
        Null: { 'dynamodb:LeadingKeys': 'false' },
      },
    },
  ],
});

/**
 * The role the token vending machine assumes for tenant-scoped data access. Its own policy is
 * the ceiling: the generator's document with the tenant taken from the session tag, so a
 * session can never reach beyond the tenant it was tagged with; the session policy passed at
 * AssumeRole (the same generator, called with the tenant id) narrows it further.
 *
 * `policy` takes any generator with this signature: the one in services/credentials (issue 12)
 * slots in here when it lands, so the ceiling and the session policies come from one source.
 */
export class TenantAccessRole extends Construct {
  readonly role: Role;

  constructor(scope: Construct, id: string, props: { tableArns: string[]; assumedBy: IRole[]; policy?: TenantPolicyGenerator }) {
    super(scope, id);
    const generator = props.policy ?? leadingKeyPolicy;
    // Callers may assume it, and tag the session, only with a tenant id as the session tag.
    const tagged = { StringLike: { [`aws:RequestTag/${TENANT_SESSION_TAG}`]: 'tnt_*' } };
    this.role = new Role(this, 'Role', {
      assumedBy: new CompositePrincipal(...props.assumedBy.map((r) => new ArnPrincipal(r.roleArn).withConditions(tagged))),
      description: 'Harbormaster token vending machine: tenant-scoped DynamoDB access, fenced by leading key',
      maxSessionDuration: Duration.hours(1),
      inlinePolicies: { TenantScoped: PolicyDocument.fromJson(generator(TENANT_FROM_SESSION, props.tableArns)) },
    });
    this.role.assumeRolePolicy!.addStatements(
      new PolicyStatement({ actions: ['sts:TagSession'], principals: props.assumedBy.map((r) => new ArnPrincipal(r.roleArn)), conditions: tagged }),
    );
    for (const caller of props.assumedBy) {
      caller.addToPrincipalPolicy(new PolicyStatement({ actions: ['sts:AssumeRole', 'sts:TagSession'], resources: [this.role.roleArn] }));
    }
  }
}
