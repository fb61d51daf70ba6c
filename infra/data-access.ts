import type { AwsCredentialIdentity } from '@aws-sdk/types';
import { STSClient } from '@aws-sdk/client-sts';
import type { Clock } from '../shared/clock';
import type { Config } from '../shared/config';
import { Db, createDynamoClient, tableNames } from '../shared/dynamo';
import type { Logger } from '../shared/logger';
import { signAsTenant, tokenVendingMachine, type TokenVendingMachine } from '../shared/tenant-credentials';
import { fenceTenantAccess } from '../shared/tenant-fence';

/**
 * The two ways this process reaches DynamoDB.
 *
 * `db` serves every store: inside a tenant scope (customer and agent requests) each command is
 * checked in-process against the tenant's session policy before it leaves, and, with
 * `HM_TVM_ROLE_ARN` set, signed with that tenant's credentials from the token vending machine;
 * outside a scope it uses the base identity. `vendorDb` always uses the base identity: it
 * serves the vendor-level stores (signing keys, the revocation log) that tenant requests
 * legitimately write to, such as a revocation when a customer revokes an agent key.
 */
export function dataAccess(opts: { config: Config; endpoint?: string; clock: Clock; logger: Logger; stsCredentials?: AwsCredentialIdentity }) {
  const { config } = opts;
  const tables = tableNames(config.tablePrefix);
  const base = createDynamoClient({ endpoint: opts.endpoint, region: config.awsRegion });
  const tenantClient = fenceTenantAccess(createDynamoClient({ endpoint: opts.endpoint, region: config.awsRegion }), {
    tables: [tables.control, tables.metadata],
    cacheSize: config.tvm.cacheSize,
  });
  let sts: STSClient | undefined;
  let tvm: TokenVendingMachine | undefined;
  if (config.tvm.roleArn) {
    sts = new STSClient({ region: config.awsRegion, endpoint: config.identity.stsEndpoints[0], credentials: opts.stsCredentials, maxAttempts: 3 });
    tvm = tokenVendingMachine({
      roleArn: config.tvm.roleArn,
      sts,
      tables: [tables.control, tables.metadata],
      sessionSeconds: config.tvm.sessionSeconds,
      cacheSize: config.tvm.cacheSize,
      clock: opts.clock,
      logger: opts.logger.child({ component: 'tvm' }),
    });
    signAsTenant(tenantClient, tvm);
  }
  return {
    tables,
    /** The base client: table setup, readiness, vendor-level stores. */
    dynamo: base,
    db: new Db(tenantClient),
    vendorDb: new Db(base),
    tvm,
    close() {
      tenantClient.destroy();
      base.destroy();
      sts?.destroy();
    },
  };
}
