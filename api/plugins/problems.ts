import { STATUS_CODES } from 'node:http';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isAppError } from '../../shared/errors';
import { describeIssues, type ValidationIssue } from './validation-messages';

/**
 * Problem `type` URLs point at this server's error-code reference (GET /problems/{code},
 * api/routes/problems.ts): `<publicUrl>/problems/`, set once per app (`problemTypeBase`).
 */
export const problemTypeBase = (publicUrl: string) => `${publicUrl}/problems/`;

export interface ProblemBody {
  code: string;
  status: number;
  detail: string;
  [k: string]: unknown;
}

/** The RFC 9457 document for a problem, as JSON text (also written raw by plugins/http-errors.ts). */
export const problemJson = (p: ProblemBody, requestId: string, typeBase: string) =>
  JSON.stringify({ type: typeBase + p.code, title: STATUS_CODES[p.status] ?? 'Error', ...p, requestId });

export function sendProblem(req: FastifyRequest, reply: FastifyReply, p: ProblemBody) {
  if (p.status === 503 || p.status === 429) reply.header('retry-after', String(p.retryAfterSeconds ?? 1));
  // Sent as a string so that no route's response schema can drop fields from it. The request id
  // header is set here too: errors raised before the onRequest hooks (routing) never ran them.
  return reply.code(p.status).header('x-request-id', req.id).type('application/problem+json').send(problemJson(p, req.id, req.server.problemTypeBase ?? '/problems/'));
}

const CONTEXT_CODES: Record<string, string> = {
  body: 'invalid_body',
  querystring: 'invalid_query',
  params: 'invalid_path',
  headers: 'invalid_header',
};

/** Fastify's own request errors, by their stable Fastify code. */
const FRAMEWORK_ERRORS: Record<string, { status: number; code: string; detail: string }> = {
  FST_ERR_CTP_BODY_TOO_LARGE: { status: 413, code: 'payload_too_large', detail: 'The request body is larger than this API accepts.' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { status: 415, code: 'unsupported_media_type', detail: 'Send the body as application/json.' },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { status: 400, code: 'invalid_content_length', detail: 'Content-Length does not match the body.' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { status: 400, code: 'invalid_body', detail: 'The body is empty but Content-Type says application/json.' },
  FST_ERR_CTP_INVALID_JSON_BODY: { status: 400, code: 'malformed_json', detail: 'The body is not valid JSON.' },
  FST_ERR_CTP_INVALID_TYPE: { status: 400, code: 'invalid_content_type', detail: 'The Content-Type header is not valid.' },
};

/** Every error leaves as application/problem+json with a stable `code`; nothing else escapes. */
export function registerProblemHandlers(app: FastifyInstance) {
  app.setErrorHandler((err: FastifyError, req, reply) => {
    if (isAppError(err)) {
      if (err.status >= 500) req.log.warn({ code: err.code }, err.detail);
      return sendProblem(req, reply, { status: err.status, code: err.code, detail: err.detail, ...err.extra });
    }
    if (err.validation) {
      const unknown = err.validation.find((v) => v.keyword === 'additionalProperties');
      const errors = describeIssues(err.validation as ValidationIssue[], err.validationContext ?? '');
      return sendProblem(req, reply, {
        status: 400,
        code: unknown ? 'unknown_field' : (CONTEXT_CODES[err.validationContext ?? ''] ?? 'invalid_request'),
        detail: errors.map((e) => `${e.path || '(root)'}: ${e.message}`).join('; '),
        errors,
      });
    }
    const known = err.code ? FRAMEWORK_ERRORS[err.code] : undefined;
    if (known) return sendProblem(req, reply, known);
    if (err instanceof SyntaxError || (err.statusCode === 400 && /JSON/i.test(err.message))) {
      return sendProblem(req, reply, FRAMEWORK_ERRORS.FST_ERR_CTP_INVALID_JSON_BODY);
    }
    if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) {
      return sendProblem(req, reply, { status: err.statusCode, code: 'bad_request', detail: err.message });
    }
    req.log.error({ err }, 'unhandled error');
    return sendProblem(req, reply, { status: 500, code: 'internal_error', detail: 'An unexpected error occurred; it has been logged.' });
  });

  app.setNotFoundHandler((req, reply) =>
    sendProblem(req, reply, { status: 404, code: 'route_not_found', detail: `No route ${req.method} ${req.url.split('?')[0]}.` }),
  );
}
