import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';

/** An API Gateway HTTP API (payload 2.0) event, as the service hands it to the Lambda. */
export function apiGatewayEvent(method: string, url: string, o: { headers?: Record<string, string>; body?: unknown } = {}): APIGatewayProxyEventV2 {
  const [rawPath, rawQueryString = ''] = url.split('?');
  const now = Date.now();
  const headers: Record<string, string> = { host: 'api.harbormaster.test', 'user-agent': 'test', ...o.headers };
  if (o.body !== undefined) headers['content-type'] ??= 'application/json';
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath,
    rawQueryString,
    cookies: undefined,
    headers,
    queryStringParameters: rawQueryString ? Object.fromEntries(new URLSearchParams(rawQueryString)) : undefined,
    requestContext: {
      accountId: '123456789012',
      apiId: 'hmapi',
      domainName: 'api.harbormaster.test',
      domainPrefix: 'api',
      http: { method, path: rawPath, protocol: 'HTTP/1.1', sourceIp: '203.0.113.9', userAgent: 'test' },
      requestId: `apigw-${now}`,
      routeKey: '$default',
      stage: '$default',
      time: new Date(now).toUTCString(),
      timeEpoch: now,
    },
    body: o.body === undefined ? undefined : JSON.stringify(o.body),
    isBase64Encoded: false,
  };
}

export const lambdaContext = { awsRequestId: 'test', functionName: 'harbormaster-api', callbackWaitsForEmptyEventLoop: false } as unknown as Context;

export function parseResult(r: APIGatewayProxyStructuredResultV2) {
  const text = r.isBase64Encoded ? Buffer.from(r.body ?? '', 'base64').toString() : (r.body ?? '');
  let body: any;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = undefined;
  }
  return { status: r.statusCode ?? 200, headers: (r.headers ?? {}) as Record<string, string>, body, text };
}
