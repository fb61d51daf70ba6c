/**
 * A DynamoDB endpoint in front of another that counts the items written through it, by table
 * and key kind (see store-breakdown.ts): puts, updates, deletes and their bytes. For benches
 * only (the soak with HM_SOAK_COUNT_WRITES=1): it forwards every request unchanged, so the
 * server under test runs as it would, one local hop slower.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { keyKind } from './store-breakdown';

export interface WriteCounts {
  table: string;
  kind: string;
  puts: number;
  updates: number;
  deletes: number;
  /** Bytes of the items put and of the values updates set (JSON as sent: a rough measure). */
  bytes: number;
}

type Wire = Record<string, any>;

export async function startWriteCounter(target: string): Promise<{ endpoint: string; counts(): WriteCounts[]; reset(): void; close(): Promise<void> }> {
  let rows = new Map<string, WriteCounts>();
  const note = (table: string, key: Wire | undefined, op: 'puts' | 'updates' | 'deletes', bytes: number) => {
    const kind = `${keyKind(key?.pk?.S)} / ${keyKind(key?.sk?.S)}`;
    const k = `${table}\t${kind}`;
    const row = rows.get(k) ?? { table, kind, puts: 0, updates: 0, deletes: 0, bytes: 0 };
    row[op]++;
    row.bytes += bytes;
    rows.set(k, row);
  };
  const size = (x: unknown) => (x === undefined ? 0 : JSON.stringify(x).length);
  const count = (op: string, body: Wire) => {
    if (op === 'PutItem') note(body.TableName, body.Item, 'puts', size(body.Item));
    else if (op === 'UpdateItem') note(body.TableName, body.Key, 'updates', size(body.ExpressionAttributeValues));
    else if (op === 'DeleteItem') note(body.TableName, body.Key, 'deletes', 0);
    else if (op === 'BatchWriteItem')
      for (const [table, reqs] of Object.entries(body.RequestItems ?? {}))
        for (const r of reqs as Wire[]) {
          if (r.PutRequest) note(table, r.PutRequest.Item, 'puts', size(r.PutRequest.Item));
          if (r.DeleteRequest) note(table, r.DeleteRequest.Key, 'deletes', 0);
        }
    else if (op === 'TransactWriteItems')
      for (const t of body.TransactItems ?? []) {
        if (t.Put) note(t.Put.TableName, t.Put.Item, 'puts', size(t.Put.Item));
        if (t.Update) note(t.Update.TableName, t.Update.Key, 'updates', size(t.Update.ExpressionAttributeValues));
        if (t.Delete) note(t.Delete.TableName, t.Delete.Key, 'deletes', 0);
      }
  };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const op = String(req.headers['x-amz-target'] ?? '').split('.')[1] ?? '';
      try {
        count(op, JSON.parse(raw.toString('utf8')));
      } catch {
        // not JSON: forwarded all the same
      }
      const fwd = http.request(target + (req.url ?? '/'), { method: req.method, headers: req.headers }, (up) => {
        res.writeHead(up.statusCode ?? 500, up.headers);
        up.pipe(res);
      });
      fwd.on('error', () => {
        res.writeHead(502);
        res.end();
      });
      fwd.end(raw);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    counts: () => [...rows.values()].sort((a, b) => b.bytes - a.bytes),
    reset: () => {
      rows = new Map();
    },
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
