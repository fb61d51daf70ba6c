import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Packr, Unpackr } from 'msgpackr';
import { badRequest } from '../../shared/errors';

/**
 * MessagePack on the agent data path, negotiated per request: a body sent as
 * `Content-Type: application/msgpack` is decoded here, then validated by the route's schema
 * exactly as a JSON body is (same validator, same problems); an answer is MessagePack when the
 * request's Accept names application/msgpack, JSON otherwise. Errors stay problem+json.
 * Register inside the scope of the routes that take it (content-type parsers are scoped).
 */
export const MSGPACK = 'application/msgpack';

// Plain maps and arrays only: no records (msgpackr's structure extension) either way, so any
// MessagePack library can speak to us; maps are decoded as plain objects.
const unpackr = new Unpackr({ mapsAsObjects: true, useRecords: false, int64AsType: 'number' });
const packr = new Packr({ useRecords: false, int64AsType: 'number' });

export function registerMsgpack(scope: FastifyInstance) {
  scope.addContentTypeParser(MSGPACK, { parseAs: 'buffer' }, (_req, body, done) => {
    const bytes = body as Buffer;
    let value: unknown;
    try {
      // Throws on truncated data, trailing bytes and non-string map keys.
      value = unpackr.unpack(bytes);
    } catch {
      return done(badRequest('malformed_msgpack', 'The body is not one well-formed MessagePack value (maps with string keys, arrays, strings, numbers, booleans, nil).'), undefined);
    }
    // No Unicode walk (plugins/validation.ts): as with UTF-8 JSON, invalid UTF-8, encoded
    // surrogates included, decodes to U+FFFD, so no lone surrogate can come out (tested).
    done(null, value);
  });
}

/** True when the caller asked for a MessagePack answer. */
export function wantsMsgpack(req: FastifyRequest): boolean {
  const accept = req.headers.accept;
  return accept !== undefined && accept.includes(MSGPACK);
}

/**
 * The route's answer in the encoding the caller asked for. A MessagePack answer is encoded
 * from the value as the service returned it: only routes whose answer already has exactly the
 * response schema's shape use this (the JSON serializer would otherwise drop extra fields).
 */
export function answer<T>(req: FastifyRequest, reply: FastifyReply, value: T): T | FastifyReply {
  if (!wantsMsgpack(req)) return value;
  return reply.type(MSGPACK).send(packr.pack(value));
}
