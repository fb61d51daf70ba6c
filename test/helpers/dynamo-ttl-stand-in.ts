import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * DynamoDB's TTL API at the wire, in front of dynalite (which has none): DescribeTimeToLive
 * and UpdateTimeToLive answer as the service does (including its refusal to enable TTL twice);
 * every other call is passed through untouched. `refuseUpdateWith` makes UpdateTimeToLive fail
 * with that error type instead (e.g. AccessDeniedException).
 */
export async function startTtlStandIn(upstream: string, opts: { refuseUpdateWith?: string } = {}) {
  const ttl = new Map<string, string>();
  const updates: string[] = [];
  const target = new URL(upstream);
  const answer = (res: http.ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-requestid': 'stand-in' });
    res.end(JSON.stringify(body));
  };
  const fault = (res: http.ServerResponse, type: string, message: string) =>
    answer(res, 400, { __type: `com.amazonaws.dynamodb.v20120810#${type}`, message });

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const op = String(req.headers['x-amz-target'] ?? '').split('.')[1];
      if (op === 'DescribeTimeToLive' || op === 'UpdateTimeToLive') {
        const input = JSON.parse(body.toString()) as { TableName: string; TimeToLiveSpecification?: { Enabled: boolean; AttributeName: string } };
        const attribute = ttl.get(input.TableName);
        if (op === 'DescribeTimeToLive') {
          return answer(res, 200, { TimeToLiveDescription: attribute ? { TimeToLiveStatus: 'ENABLED', AttributeName: attribute } : { TimeToLiveStatus: 'DISABLED' } });
        }
        updates.push(input.TableName);
        if (opts.refuseUpdateWith) return fault(res, opts.refuseUpdateWith, 'refused by the stand-in');
        if (attribute) return fault(res, 'ValidationException', 'TimeToLive is already enabled');
        ttl.set(input.TableName, input.TimeToLiveSpecification!.AttributeName);
        return answer(res, 200, { TimeToLiveSpecification: input.TimeToLiveSpecification });
      }
      const up = http.request(
        { host: target.hostname, port: target.port, path: req.url, method: req.method, headers: req.headers },
        (upRes) => {
          res.writeHead(upRes.statusCode ?? 500, upRes.headers);
          upRes.pipe(res);
        },
      );
      up.on('error', () => res.destroy());
      up.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    /** Table → TTL attribute, as switched on through this stand-in. */
    ttl,
    /** Every UpdateTimeToLive call, by table. */
    updates,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
