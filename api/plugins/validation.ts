import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { badRequest } from '../../shared/errors';
import { compileOnFirstUse } from './lazy-compile';
import { sendProblem } from './problems';

/**
 * Edge checks of every request's input, before any schema or handler sees it:
 *
 * - Two validators: query strings, paths and headers arrive as text, so numbers and booleans
 *   there are coerced; JSON bodies are taken as sent (a "100" is not a 100). Unknown fields
 *   are refused, never silently dropped. Each schema is compiled when its route is first used.
 * - Text must be well-formed Unicode: a lone UTF-16 surrogate (JSON's "\ud800") cannot be
 *   stored (DynamoDB refuses such strings, which would turn bad input into a 5xx), so every
 *   string and key of every body, query and path is checked here, once: 400 `invalid_unicode`.
 * - Bodies are read as sent: a Content-Encoding other than identity is a 415, not bytes that
 *   the JSON parser would misread.
 */
export function registerValidation(app: FastifyInstance) {
  const make = (coerceTypes: boolean | 'array') => {
    const ajv = new Ajv({ removeAdditional: false, useDefaults: true, coerceTypes, allErrors: true, strict: false });
    (addFormats.default ?? addFormats)(ajv);
    return ajv;
  };
  const forBody = make(false);
  const forText = make('array');
  app.setValidatorCompiler(({ schema, httpPart }) => compileOnFirstUse(() => (httpPart === 'body' ? forBody : forText).compile(schema)));

  app.addHook('onRequest', refuseContentEncoding);

  // Fastify's own JSON parser (prototype-poisoning checks included), then the Unicode check.
  // Only a body holding a \uD800..\uDFFF escape can hold a lone surrogate: UTF-8 bytes decode to
  // well-formed text (invalid bytes become U+FFFD), so other bodies skip the walk.
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => {
    parseJson(req, body as string, (err: Error | null, value?: unknown) => {
      if (err) return done(err, undefined);
      const bad = SURROGATE_ESCAPE.test(body as string) ? illFormedText(value, 'body') : undefined;
      if (bad) return done(invalidUnicode(bad), undefined);
      done(null, value);
    });
  });

  // Query strings and paths are percent-decoded as UTF-8 and cannot yield one over HTTP; other
  // transports (API Gateway events) hand us strings directly, so they are checked all the same.
  // Callback style: this runs on every request, heartbeats included; no promise per call.
  app.addHook('preValidation', (req, _reply, done) => {
    const bad = illFormedText(req.params, 'path') ?? illFormedText(req.query, 'query');
    done(bad ? invalidUnicode(bad) : undefined);
  });
}

const SURROGATE_ESCAPE = /\\u[dD][89a-fA-F]/;
/** With the `u` flag a paired surrogate is one code point, so this matches lone ones only. */
const LONE_SURROGATE = /\p{Surrogate}/u;

const invalidUnicode = (path: string) => {
  const field = path.length > 200 ? `${path.slice(0, 200)}…` : path;
  return badRequest('invalid_unicode', `${field} contains a lone UTF-16 surrogate (\\uD800-\\uDFFF outside a pair); send well-formed Unicode.`, { field });
};

/** The path of the first string or key holding a lone surrogate, else undefined (iterative: bodies may nest deeply). */
export function illFormedText(value: unknown, root: string): string | undefined {
  const stack: [unknown, string][] = [[value, root]];
  while (stack.length > 0) {
    const [v, path] = stack.pop()!;
    if (typeof v === 'string') {
      if (LONE_SURROGATE.test(v)) return path;
    } else if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) stack.push([v[i], `${path}[${i}]`]);
    } else if (v !== null && typeof v === 'object') {
      for (const [k, child] of Object.entries(v)) {
        if (LONE_SURROGATE.test(k)) return `${path} (a field name)`;
        stack.push([child, `${path}.${k}`]);
      }
    }
  }
  return undefined;
}

/** onRequest: only `identity` (or no Content-Encoding) is read; RFC 7694 names what we accept. */
function refuseContentEncoding(req: FastifyRequest, reply: FastifyReply, done: () => void) {
  const encoding = req.headers['content-encoding'];
  if (encoding === undefined || encoding.split(',').every((e) => e.trim().toLowerCase() === 'identity')) return done();
  reply.header('accept-encoding', 'identity');
  sendProblem(req, reply, {
    status: 415,
    code: 'unsupported_content_encoding',
    detail: `This API reads bodies without a Content-Encoding; "${encoding.slice(0, 64)}" is not decoded. Send the body uncompressed.`,
  });
}
