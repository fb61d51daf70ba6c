import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { isErrorCode } from '../../shared/error-codes';
import { notFound } from '../../shared/errors';
import { problems } from '../schemas/common';
import { errorCodeJson, errorCodesHtml, errorCodesJson } from '../reference/error-codes-doc';

const ErrorCodeInfo = Type.Object({
  code: Type.String({ examples: ['cluster_not_found'] }),
  status: Type.Array(Type.Integer({ examples: [404] }), { description: 'The statuses it is answered with (usually one)' }),
  meaning: Type.String({ examples: ['The cluster does not exist, or is not the caller\'s.'] }),
  action: Type.String({ examples: ['Check the cluster id (GET /v1/clusters).'] }),
});
const CodeParams = Type.Object({ code: Type.String({ pattern: '^[a-z][a-z0-9_]{0,63}$', examples: ['cluster_not_found'] }) }, { additionalProperties: false });

/** HTML for browsers (and curl), JSON when the caller asks for it. */
const wantsJson = (req: FastifyRequest) => {
  const accept = req.headers.accept ?? '';
  return accept.includes('application/json') && !accept.includes('text/html');
};

/** The error-code reference: where every problem document's `type` points. No auth. */
export const problemReferenceRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/problems',
    {
      schema: {
        tags: ['ops'],
        operationId: 'listErrorCodes',
        summary: 'The error-code reference: every problem `code`, its status, meaning and what to do',
        description: 'An HTML page by default; `Accept: application/json` answers the same table as JSON. Generated from the code\'s one error-code table. No auth.',
        response: { 200: Type.Object({ items: Type.Array(ErrorCodeInfo) }) },
      },
    },
    async (req, reply) => (wantsJson(req) ? errorCodesJson() : reply.type('text/html; charset=utf-8').send(errorCodesHtml() as never)),
  );
  app.get(
    '/problems/:code',
    {
      schema: {
        tags: ['ops'],
        operationId: 'getErrorCode',
        summary: 'One error code: its status, meaning and what to do (a problem document\'s `type` URL)',
        description: 'An HTML page by default; `Accept: application/json` answers JSON. No auth.',
        params: CodeParams,
        response: { 200: ErrorCodeInfo, ...problems('route_not_found') },
      },
    },
    async (req, reply) => {
      const { code } = req.params;
      if (!isErrorCode(code)) throw notFound('route_not_found', `There is no error code "${code}"; see /problems.`);
      return wantsJson(req) ? errorCodeJson(code) : reply.type('text/html; charset=utf-8').send(errorCodesHtml(code) as never);
    },
  );
};
