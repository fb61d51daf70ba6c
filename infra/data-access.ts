import type { AwsCredentialIdentity } from '@smithy/types';
import { STSClient } from '@aws-sdk/client-sts';
import type { Clock } from '../shared/clock';
import type { Config } from '../shared/config';
import { Db, createDynamoClient, tableNames, type InProcessStore } from '../shared/dynamo';
import type { Logger } from '../shared/logger';
import { tenantClients, tokenVendingMachine, type TokenVendingMachine } from '../shared/tenant-credentials';
import { tenantFence } from '../shared/tenant-fence';

/**
 * How this process reaches DynamoDB. `db` is the base identity (vendor-level items, admin and
 * worker paths, lookups that do not know the tenant yet); `db.forTenant(id)` is the view every
 * store uses for a tenant's items: fenced in-process to the tenant's leading keys and, with
 * `HM_TVM_ROLE_ARN` set, signed with the tenant's credentials from the token vending machine.
 */
export function dataAccess(opts: { config: Config; endpoint?: string; inProcess?: InProcessStore; clock: Clock; logger: Logger; stsCredentials?: AwsCredentialIdentity }) {
  const { config } = opts;
  const tables = tableNames(config.tablePrefix);
  const base = createDynamoClient({ endpoint: opts.endpoint, region: config.awsRegion, inProcess: opts.inProcess });
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
  }
  const fence = tenantFence({
    base,
    tables: [tables.control, tables.metadata],
    cacheSize: config.tvm.cacheSize,
    clientFor: tvm ? tenantClients(base, tvm, { region: config.awsRegion, endpoint: opts.endpoint, cacheSize: config.tvm.cacheSize }) : undefined,
  });
  return {
    tables,
    dynamo: base,
    db: new Db(base, { tenants: fence }),
    tvm,
    close() {
      base.destroy();
      sts?.destroy();
    },
  };
}
