import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import type { FastifyInstance } from 'fastify';
import { compileOnFirstUse } from './lazy-compile';

/**
 * Two validators: query strings, paths and headers arrive as text, so numbers and booleans
 * there are coerced; JSON bodies are taken as sent (a "100" is not a 100). Unknown fields are
 * refused, never silently dropped. Each schema is compiled when its route is first used.
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
}
