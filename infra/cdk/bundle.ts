import { build } from 'esbuild';
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '../..');

/**
 * Packages that read their own files at run time (the docs UI's and bull-board's static
 * assets): kept out of the bundle and shipped as node_modules beside it.
 */
export const UNBUNDLED_PACKAGES = ['@fastify/swagger-ui', '@bull-board/api', '@bull-board/fastify', '@bull-board/ui'];

/**
 * Bundles a process entry point into ES modules, as it is deployed: the Lambda API
 * (`infra/lambda.ts`, every dependency inside, so a cold start reads few files) and the
 * long-running server for the container image. Native and optional modules the entry never
 * loads on AWS stay outside.
 */
export async function bundleEntry(entry: 'infra/lambda.ts' | 'infra/server.ts', outdir: string, opts: { external?: string[] } = {}) {
  await build({
    entryPoints: { index: path.join(ROOT, entry) },
    outdir,
    outExtension: { '.js': '.mjs' },
    // Modules loaded with import() (BullMQ and the workers) become chunks read only when used.
    splitting: true,
    chunkNames: 'chunks/[name]-[hash]',
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    minify: process.env.HM_BUNDLE_MINIFY !== "false",
    sourcemap: 'external',
    legalComments: 'none',
    logLevel: 'error',
    // CommonJS dependencies inside an ES module bundle still call require().
    banner: { js: "import { createRequire as __hmCreateRequire } from 'node:module'; const require = __hmCreateRequire(import.meta.url);" },
    external: ['dynalite', 'classic-level', 'msgpackr-extract', ...UNBUNDLED_PACKAGES, ...(opts.external ?? [])],
  });
  return path.join(outdir, 'index.mjs');
}
