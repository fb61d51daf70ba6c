import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { createDynamoClient } from '../../shared/dynamo';
import type { Harness } from './harness';

/**
 * Every item of the harness's tables, as `table pk sk → JSON`, minus what the control plane
 * writes on its own whatever the requests (so that a difference means a request changed
 * something): audit events (refused mutations are audited by design), usage counts, the
 * region registry's beats, leases' renewals, and the metadata homes' snapshots and
 * bookkeeping. What remains is the domain state a refused request must leave alone.
 */
export function storeSnapshots(h: Harness, ignore: (table: string, item: Record<string, any>) => boolean = () => false) {
  const client = createDynamoClient({ endpoint: h.engines.dynamoEndpoint, region: h.config.awsRegion });
  const tables = Object.values(h.runtime.tables) as string[];
  async function take(): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    for (const table of tables) {
      let start: Record<string, any> | undefined;
      do {
        const page = await client.send(new ScanCommand({ TableName: table, ExclusiveStartKey: start, ConsistentRead: true }));
        for (const raw of page.Items ?? []) {
          const item = unmarshall(raw);
          if (ignore(table, item)) continue;
          out.set(`${table} ${item.pk} ${item.sk}`, JSON.stringify(item, (_k, v) => (v instanceof Set ? [...v].sort() : typeof v === 'bigint' ? String(v) : v)));
        }
        start = page.LastEvaluatedKey;
      } while (start);
    }
    return out;
  }
  return {
    take,
    /** What differs between two snapshots: added, removed and changed keys. */
    diff(a: Map<string, string>, b: Map<string, string>) {
      const out: string[] = [];
      for (const [k, v] of b) if (!a.has(k)) out.push(`+ ${k} ${v.slice(0, 300)}`);
      else if (a.get(k) !== v) out.push(`~ ${k}\n    before ${a.get(k)!.slice(0, 300)}\n    after  ${v.slice(0, 300)}`);
      for (const k of a.keys()) if (!b.has(k)) out.push(`- ${k}`);
      return out;
    },
    close: () => client.destroy(),
  };
}
