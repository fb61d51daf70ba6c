import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { startHarness, type Harness } from '../helpers/harness';

/**
 * Errors below the routes (router, HTTP parser, Expect handling), sent as raw bytes to a
 * really listening server: each is a problem document with a stable code and a request id,
 * and the server keeps serving afterwards.
 */
let h: Harness;
let port: number;
before(async () => {
  h = await startHarness({ workers: false });
  port = Number(new URL(await h.listen()).port);
});
after(() => h.close());

interface RawReply {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Writes `raw` on a fresh connection and reads the first answer (or what came before the close). */
function rawRequest(raw: string | Buffer): Promise<RawReply> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.write(raw));
    let data = Buffer.alloc(0);
    const timer = setTimeout(() => socket.destroy(new Error('no answer within 10 s')), 10_000);
    const finish = () => {
      clearTimeout(timer);
      const text = data.toString('utf8');
      const split = text.indexOf('\r\n\r\n');
      if (split < 0) return reject(new Error(`no complete answer: ${JSON.stringify(text.slice(0, 200))}`));
      const [statusLine, ...lines] = text.slice(0, split).split('\r\n');
      const headers: Record<string, string> = {};
      for (const l of lines) headers[l.slice(0, l.indexOf(':')).toLowerCase()] = l.slice(l.indexOf(':') + 1).trim();
      const length = Number(headers['content-length'] ?? 0);
      resolve({ status: Number(statusLine.split(' ')[1]), headers, body: Buffer.from(text.slice(split + 4)).subarray(0, length).toString('utf8') });
    };
    socket.on('data', (d) => {
      data = Buffer.concat([data, d]);
      // Enough once the headers and Content-Length bytes of body are in (keep-alive answers do not close).
      const text = data.toString('utf8');
      const split = text.indexOf('\r\n\r\n');
      const m = /\r\ncontent-length: *(\d+)/i.exec(text.slice(0, split));
      if (split >= 0 && Buffer.byteLength(text.slice(split + 4)) >= Number(m?.[1] ?? Infinity)) {
        socket.destroy();
      }
    });
    socket.on('close', finish);
    socket.on('error', () => undefined);
  });
}

function assertProblem(r: RawReply, status: number, code: string, what: string) {
  assert.equal(r.status, status, `${what}: status (${r.body.slice(0, 200)})`);
  assert.match(r.headers['content-type'] ?? '', /^application\/problem\+json/, `${what}: content type`);
  const body = JSON.parse(r.body);
  assert.equal(body.code, code, `${what}: code`);
  assert.equal(body.status, status, `${what}: status field`);
  assert.ok(body.type && body.title && body.detail, `${what}: problem fields`);
  assert.match(body.requestId, /^req_|^trace-/, `${what}: request id in the body`);
  assert.equal(r.headers['x-request-id'], body.requestId, `${what}: the same request id in the header`);
}

const get = (path: string, extra = '') => `GET ${path} HTTP/1.1\r\nHost: localhost\r\n${extra}\r\n`;

test('issue 8 #14: router errors (bad percent-encoding, over-long path parameter) are problem documents', async () => {
  assertProblem(await rawRequest(get('/v1/clusters/%ff')), 400, 'invalid_url', 'bad percent-encoding');
  assertProblem(await rawRequest(get('/v1/clusters/%ff', 'X-Request-Id: trace-1\r\n')), 400, 'invalid_url', 'bad percent-encoding with a request id');
  assert.equal(JSON.parse((await rawRequest(get('/v1/clusters/%ff', 'X-Request-Id: trace-1\r\n'))).body).requestId, 'trace-1', 'the caller\'s request id is kept');
  assertProblem(await rawRequest(get(`/v1/clusters/vci_${'a'.repeat(120)}`)), 414, 'path_parameter_too_long', 'a path parameter over 100 characters');
});

test('issue 8 #14: malformed HTTP, oversized headers and unknown expectations are problem documents', async () => {
  const cases: [string, string | Buffer, number, string][] = [
    ['NUL in a header value', get('/healthz', 'X-A: a\0b\r\n'), 400, 'malformed_http'],
    ['a header without a colon', get('/healthz', 'NoColonHere\r\n'), 400, 'malformed_http'],
    ['Content-Length with Transfer-Encoding', 'POST /v1/clusters HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n', 400, 'malformed_http'],
    ['a bad chunk size', 'POST /agent/v1/token HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n', 400, 'malformed_http'],
    ['an unknown method', 'BREW /healthz HTTP/1.1\r\nHost: x\r\n\r\n', 400, 'malformed_http'],
    ['headers over 16 KB', get('/healthz', `X-Big: ${'a'.repeat(17_000)}\r\n`), 431, 'headers_too_large'],
    ['Expect: teapot', get('/healthz', 'Expect: teapot\r\n'), 417, 'expectation_failed'],
  ];
  for (const [what, raw, status, code] of cases) assertProblem(await rawRequest(raw), status, code, what);
  // The server is unharmed and still answers well-formed requests.
  const ok = await rawRequest(get('/healthz'));
  assert.equal(ok.status, 200);
});

test('a request that reaches a node while it shuts down is a 503 problem document, and the connection closes', async () => {
  const own = await startHarness({ workers: false });
  const ownPort = Number(new URL(await own.listen()).port);
  const socket = net.connect(ownPort, '127.0.0.1');
  await new Promise((r) => socket.once('connect', r));
  let data = '';
  socket.on('data', (d) => (data += d.toString('utf8')));
  const closed = new Promise((r) => socket.once('close', r));
  // A request still being received keeps the connection busy, so shutdown waits for it ...
  const received = new Promise((r) => own.app.server.once('request', r));
  // (`null` is the agent-key form of the token route's body; without a key it is a 401.)
  socket.write('POST /agent/v1/token HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 4\r\n\r\nnul');
  await received;
  const closing = own.app.close();
  while (own.app.server.listening) await new Promise((r) => setImmediate(r));
  // ... and the next request on it arrives after shutdown began.
  socket.write('lGET /healthz HTTP/1.1\r\nHost: x\r\nX-Request-Id: trace-late\r\n\r\n');
  await closed;
  await closing;
  await own.close();
  const answers = data.split(/(?=HTTP\/1\.1 )/);
  assert.equal(answers.length, 2, JSON.stringify(data));
  assert.match(answers[0], /^HTTP\/1\.1 401 /, 'the request in progress is answered');
  assert.match(answers[1], /^HTTP\/1\.1 503 /);
  assert.match(answers[1], /\r\ncontent-type: application\/problem\+json/i);
  assert.match(answers[1], /\r\nconnection: close/i);
  const body = JSON.parse(answers[1].slice(answers[1].indexOf('\r\n\r\n') + 4));
  assert.equal(body.code, 'shutting_down');
  assert.equal(body.requestId, 'trace-late');
});
