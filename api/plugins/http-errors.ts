import { randomUUID } from 'node:crypto';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { STATUS_CODES } from 'node:http';
import type { FastifyBaseLogger, FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { problemJson, sendProblem, type ProblemBody } from './problems';

/**
 * Errors raised below the routes (Fastify's router, Node's HTTP parser, Node's `Expect`
 * handling) leave as application/problem+json with a stable code and a request id, like every
 * other error: Fastify's and Node's own answers (plain JSON, or no body at all) never do.
 */

const REQUEST_ID = /^[A-Za-z0-9._-]{1,128}$/;

/** The caller's `x-request-id` when it is well-formed (so traces join up), else a new one. */
export function requestIdOf(req: Pick<IncomingMessage, 'headers'>): string {
  const incoming = req.headers['x-request-id'];
  return typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : newRequestId();
}
const newRequestId = () => `req_${randomUUID()}`;

/** Fastify's routing errors, by their Fastify code (the `frameworkErrors` option). */
const ROUTING: Record<string, ProblemBody> = {
  FST_ERR_BAD_URL: { status: 400, code: 'invalid_url', detail: 'The request path is not valid percent-encoded UTF-8.' },
  FST_ERR_MAX_PARAM_LENGTH: { status: 414, code: 'path_parameter_too_long', detail: 'A path parameter is longer than 100 characters.' },
};

export function frameworkErrors(err: FastifyError, req: FastifyRequest, reply: FastifyReply) {
  const known = err.code ? ROUTING[err.code] : undefined;
  if (known) return sendProblem(req, reply, known);
  req.log.error({ err }, 'routing error');
  return sendProblem(req, reply, { status: 500, code: 'internal_error', detail: 'An unexpected error occurred; it has been logged.' });
}

/** Node's HTTP parser errors (the server's `clientError` event), by Node's error code. */
function clientProblem(code: string | undefined, message: string): ProblemBody {
  if (code === 'HPE_HEADER_OVERFLOW') return { status: 431, code: 'headers_too_large', detail: 'The request headers are larger than 16 KB.' };
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') return { status: 408, code: 'request_timeout', detail: 'The request was not received in time.' };
  // Every other parser error: NUL or other bytes not allowed in a header, a header without a
  // colon, Content-Length with Transfer-Encoding, a bad chunk size, an unknown method, …
  const reason = message.replace(/^Parse Error: /, '').slice(0, 200);
  return { status: 400, code: 'malformed_http', detail: `The request is not valid HTTP/1.1: ${reason}.`, parserError: code ?? 'unknown' };
}

function rawResponse(p: ProblemBody, requestId: string, typeBase: string) {
  const body = problemJson(p, requestId, typeBase);
  return (
    `HTTP/1.1 ${p.status} ${STATUS_CODES[p.status] ?? 'Error'}\r\n` +
    'Content-Type: application/problem+json\r\n' +
    `Content-Length: ${Buffer.byteLength(body)}\r\n` +
    `X-Request-Id: ${requestId}\r\n` +
    'Connection: close\r\n\r\n' +
    body
  );
}

/**
 * Fastify's `clientErrorHandler`: answers a request Node could not parse, then closes the
 * connection (the parser cannot find the next request). Nothing is written when the peer is
 * gone or an answer to this connection's current request has already started.
 */
export function clientErrorHandler(log: FastifyBaseLogger, typeBase: string) {
  return (err: NodeJS.ErrnoException, socket: Socket) => {
    if (err.code === 'ECONNRESET' || socket.destroyed) return;
    const inFlight = (socket as Socket & { _httpMessage?: ServerResponse })._httpMessage;
    const p = clientProblem(err.code, err.message);
    const requestId = newRequestId();
    log.debug({ requestId, code: p.code, parserError: err.code }, 'refused malformed HTTP');
    if (socket.writable && !inFlight?.headersSent) {
      socket.end(rawResponse(p, requestId, typeBase), () => socket.destroy());
    } else {
      socket.destroy();
    }
  };
}

/**
 * Node answers an `Expect` other than `100-continue` with a bare 417; with this listener the
 * 417 is a problem document. (HTTP allows a server to refuse expectations it cannot meet.)
 */
export function registerExpectationHandler(server: Server, typeBase: string) {
  server.on('checkExpectation', (req: IncomingMessage, res: ServerResponse) => {
    const requestId = requestIdOf(req);
    const expect = String(req.headers.expect ?? '').slice(0, 100);
    const body = problemJson({ status: 417, code: 'expectation_failed', detail: `This API cannot meet "Expect: ${expect}"; send the request without it.` }, requestId, typeBase);
    res.writeHead(417, { 'content-type': 'application/problem+json', 'content-length': Buffer.byteLength(body), 'x-request-id': requestId, connection: 'close' });
    res.end(body);
  });
}

/**
 * Replaces Fastify's `return503OnClosing` answer (plain JSON): a request that reaches this
 * node after shutdown began (on a connection still busy) gets a retryable 503 problem and
 * the connection is closed, so the client retries on another node.
 */
export function registerShutdownAnswer(app: FastifyInstance) {
  let closing = false;
  app.addHook('preClose', (done) => {
    closing = true;
    done();
  });
  app.addHook('onRequest', (req, reply, done) => {
    if (!closing) return done();
    reply.header('connection', 'close');
    sendProblem(req, reply, { status: 503, code: 'shutting_down', detail: 'This node is shutting down; retry the request.', retryable: true });
  });
}
