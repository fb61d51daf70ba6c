import { EventEmitter } from 'node:events';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { HttpRequest, HttpResponse, RequestHandler } from '@smithy/types';
import type { InProcessStore } from '../../shared/dynamo';

type Listener = (req: IncomingMessage, res: ServerResponse) => void;

/**
 * dynalite checks that a request carries an AWS4 Authorization header and a date, and nothing
 * more (it never verifies a signature): these stand in for the signature the direct client skips.
 */
const PLACEHOLDER_AUTH = 'AWS4-HMAC-SHA256 Credential=embedded/19700101/local/dynamodb/aws4_request, SignedHeaders=host, Signature=none';
const PLACEHOLDER_DATE = '19700101T000000Z';

/**
 * A transport for the SDK's DynamoDB client that hands each serialized request to an
 * in-process dynalite's own request listener with an in-memory request and response, instead
 * of a loopback socket: no TCP, no HTTP parsing on either side, no signing (see
 * `createDynamoClient`). dynalite does all of its usual work on the request (JSON parsing,
 * target and type checks, validation, the action, the error bodies), so clients see the same
 * answers and errors as over HTTP. The server's HTTP listener stays available for everything
 * that needs an endpoint (tools, tests, other processes).
 */
export function directStore(server: Server): { store: InProcessStore; close(): Promise<void> } {
  const listener = server.listeners('request')[0] as Listener | undefined;
  if (!listener) throw new Error('the embedded store has no request listener to call');
  let closed = false;
  const inFlight = new Set<Promise<unknown>>();
  const handler: RequestHandler<HttpRequest, HttpResponse> = {
    handle: async (request) => {
      // A closed store refuses as its closed socket did (a transient fault the SDK retries and
      // Db answers with a retryable 503), instead of reaching a closed LevelDB, which throws.
      if (closed || !server.listening) throw refused();
      const answer = dispatch(listener, request);
      inFlight.add(answer);
      try {
        return { response: await answer };
      } finally {
        inFlight.delete(answer);
      }
    },
  };
  return {
    store: { requestHandler: handler },
    /** Refuses new requests and waits for those under way: the HTTP server's close waits for its own connections only. */
    async close() {
      closed = true;
      await Promise.allSettled([...inFlight]);
    },
  };
}

function refused(): Error {
  return Object.assign(new Error('connect ECONNREFUSED: the embedded store is closed'), { name: 'Error', code: 'ECONNREFUSED' });
}

function dispatch(listener: Listener, request: HttpRequest): Promise<HttpResponse> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(request.headers)) headers[name.toLowerCase()] = value;
    headers.authorization ??= PLACEHOLDER_AUTH;
    if (!headers['x-amz-date'] && !headers.date) headers['x-amz-date'] = PLACEHOLDER_DATE;
    const req = Object.assign(new EventEmitter(), { method: request.method, url: request.path || '/', headers });
    const responseHeaders: Record<string, string> = {};
    const res = {
      statusCode: 200,
      contentType: undefined as string | undefined,
      setHeader(name: string, value: string | number) {
        responseHeaders[name.toLowerCase()] = String(value);
      },
      end(body?: string) {
        resolve({ statusCode: res.statusCode, headers: responseHeaders, body: Buffer.from(body ?? '', 'utf8') });
      },
    };
    try {
      listener(req as unknown as IncomingMessage, res as unknown as ServerResponse);
      const body = bodyBytes(request.body);
      if (body.length > 0) req.emit('data', body);
      req.emit('end');
    } catch (e) {
      reject(e);
    }
  });
}

/**
 * The serialized request as bytes. The SDK hands JSON bodies over as a Uint8Array subclass that
 * also acts as a string (and warns when used as one): view its bytes, never convert it.
 */
function bodyBytes(body: unknown): Buffer {
  if (body === undefined || body === null) return Buffer.alloc(0);
  if (typeof body === 'string') return Buffer.from(body, 'utf8');
  if (body instanceof Uint8Array) return Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  throw new Error('the in-process store takes string or byte request bodies only');
}
