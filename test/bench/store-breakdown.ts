/**
 * What a stopped server's embedded store holds, by table and key kind: opens its LevelDB
 * directory with dynalite (the server must have released it) and scans every table. A key kind
 * is the key with its ids and numbers replaced by `*` (`T#*#C#*` / `J#*`), so that journal
 * slots, snapshot chunks, file records and so on each show as one row. Sizes follow DynamoDB's
 * item-size rule (attribute names plus values), so they compare with what real DynamoDB would
 * bill for storage; the directory's size on disk is what LevelDB keeps besides.
 */
import { DynamoDBClient, ListTablesCommand, ScanCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { startDynalite } from '../../infra/local/dynalite';

/** DynamoDB's size of an attribute value (close enough for a breakdown). */
function valueBytes(v: AttributeValue): number {
  if (v.S !== undefined) return Buffer.byteLength(v.S);
  if (v.N !== undefined) return Math.ceil(v.N.length / 2) + 1;
  if (v.B !== undefined) return v.B.length;
  if (v.BOOL !== undefined || v.NULL !== undefined) return 1;
  if (v.L) return 3 + v.L.reduce((s, x) => s + 1 + valueBytes(x), 0);
  if (v.M) return 3 + Object.entries(v.M).reduce((s, [k, x]) => s + 1 + Buffer.byteLength(k) + valueBytes(x), 0);
  if (v.SS) return v.SS.reduce((s, x) => s + Buffer.byteLength(x), 0);
  if (v.NS) return v.NS.reduce((s, x) => s + x.length, 0);
  if (v.BS) return v.BS.reduce((s, x) => s + x.length, 0);
  return 0;
}

export const itemBytes = (item: Record<string, AttributeValue>) =>
  Object.entries(item).reduce((s, [k, v]) => s + Buffer.byteLength(k) + valueBytes(v), 0);

/** A key with its variable parts replaced: uppercase tags of up to 6 letters stay, the rest becomes `*`. */
export function keyKind(key: string | undefined): string {
  if (key === undefined) return '-';
  return key
    .split('#')
    .map((t) => (/^[A-Z_]{1,12}$/.test(t) ? t : /^J\d+$/.test(t) ? 'J*' : '*'))
    .join('#');
}

export interface KindRow {
  table: string;
  kind: string;
  items: number;
  bytes: number;
}

/** Scans every table of the store at `dir` and groups its items by table, pk kind and sk kind. */
export async function storeBreakdown(dir: string): Promise<KindRow[]> {
  const engine = await startDynalite(dir);
  try {
    const client = new DynamoDBClient({ endpoint: engine.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
    const { TableNames = [] } = await client.send(new ListTablesCommand({}));
    const rows = new Map<string, KindRow>();
    for (const table of TableNames) {
      let start: Record<string, AttributeValue> | undefined;
      do {
        const page = await client.send(new ScanCommand({ TableName: table, ExclusiveStartKey: start }));
        for (const item of page.Items ?? []) {
          const kind = `${keyKind(item.pk?.S)} / ${keyKind(item.sk?.S)}`;
          const key = `${table}\t${kind}`;
          const row = rows.get(key) ?? { table, kind, items: 0, bytes: 0 };
          row.items++;
          row.bytes += itemBytes(item);
          rows.set(key, row);
        }
        start = page.LastEvaluatedKey;
      } while (start);
    }
    client.destroy();
    return [...rows.values()].sort((a, b) => b.bytes - a.bytes);
  } finally {
    await engine.close();
  }
}

/** Prints the breakdown as a table, largest first. */
export function printBreakdown(rows: KindRow[]): void {
  const total = rows.reduce((s, r) => s + r.bytes, 0);
  console.log(`store holds ${rows.reduce((s, r) => s + r.items, 0)} items, ${(total / 2 ** 20).toFixed(2)} MB of item bytes:`);
  for (const r of rows) console.log(`  ${r.table.padEnd(20)} ${r.kind.padEnd(40)} ${String(r.items).padStart(9)} items ${(r.bytes / 2 ** 20).toFixed(3).padStart(10)} MB`);
}

if (process.argv[1] && import.meta.filename === process.argv[1]) printBreakdown(await storeBreakdown(process.argv[2]));
