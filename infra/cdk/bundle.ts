import { buildSync } from 'esbuild';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
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
export function bundleEntry(entry: 'infra/lambda.ts' | 'infra/server.ts', outdir: string, opts: { external?: string[] } = {}) {
  buildSync({
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

/**
 * The Lambda API's deployment package in `dir`: the bundle (index.mjs exports `handler`) and
 * the packages kept out of it, with everything they require, under node_modules.
 */
export function buildLambdaAsset(dir: string): string {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  bundleEntry('infra/lambda.ts', dir);
  copyPackages(UNBUNDLED_PACKAGES, path.join(dir, 'node_modules'));
  return dir;
}

/** Copies packages and their runtime dependencies (resolved as Node would) into a node_modules. */
function copyPackages(names: string[], target: string) {
  const seen = new Set<string>();
  const visit = (name: string, from: string) => {
    const pkgJson = findPackageJson(name, from);
    const dir = path.dirname(pkgJson);
    if (seen.has(dir)) return;
    seen.add(dir);
    cpSync(dir, path.join(target, name), { recursive: true, dereference: true, filter: (src) => !src.slice(dir.length).includes('/node_modules/') });
    const pkg = JSON.parse(readFileSync(pkgJson, 'utf8')) as { dependencies?: Record<string, string>; peerDependencies?: Record<string, string> };
    for (const dep of Object.keys(pkg.dependencies ?? {})) visit(dep, dir);
    // Peers the project installs (bull-board's BullMQ adapter requires bullmq) come along too.
    for (const peer of Object.keys(pkg.peerDependencies ?? {})) if (resolvable(peer, dir)) visit(peer, dir);
  };
  for (const n of names) visit(n, ROOT);
}

function resolvable(name: string, from: string): boolean {
  try {
    findPackageJson(name, from);
    return true;
  } catch {
    return false;
  }
}

function findPackageJson(name: string, from: string): string {
  // Walk up node_modules directories as Node's resolution does (package exports may hide package.json).
  for (let dir = from; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'node_modules', name, 'package.json');
    if (existsSync(candidate)) return candidate;
    if (dir === path.dirname(dir)) break;
  }
  return createRequire(path.join(from, 'noop.js')).resolve(`${name}/package.json`);
}

// `npx tsx infra/cdk/bundle.ts server <outdir>` (the container build) or `lambda <outdir>`.
if (import.meta.url === `file://${process.argv[1]}`) {
  const [what, out] = process.argv.slice(2);
  if (what === 'server' && out) bundleEntry('infra/server.ts', out);
  else if (what === 'lambda' && out) buildLambdaAsset(out);
  else {
    console.error('usage: tsx infra/cdk/bundle.ts server|lambda <outdir>');
    process.exit(2);
  }
}
