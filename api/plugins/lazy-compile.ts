import { SerializerSelector } from '@fastify/fast-json-stringify-compiler';

/**
 * Route schemas compiled on a route's first use instead of all at start-up. Fastify compiles
 * every route's validators and serializers when the app gets ready: most of a cold start on
 * Lambda (one instance may only ever serve a handful of routes), and start-up time for the
 * server. A compiled function then serves every later call as before.
 */
type Compiled = ((data: any) => any) & { errors?: unknown };

export function compileOnFirstUse<F extends Compiled>(compile: () => F): F {
  let fn: F | undefined;
  const lazy = ((data: unknown) => {
    fn ??= compile();
    const out = fn(data);
    // Ajv reports what failed on the function itself; Fastify reads it from the one it holds.
    lazy.errors = fn.errors;
    return out;
  }) as F;
  return lazy;
}

/** Fastify's own response serializer factory, each route's serializer built on first use. */
export function lazySerializerFactory() {
  const build = SerializerSelector();
  return (externalSchemas?: unknown, options?: Parameters<typeof build>[1]) => {
    const compile = build(externalSchemas, options);
    return (route: Parameters<typeof compile>[0]) => compileOnFirstUse(() => compile(route));
  };
}
