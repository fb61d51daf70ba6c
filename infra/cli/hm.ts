#!/usr/bin/env node
/**
 * `hm`, the Harbormaster command line (`npm run hm -- …`, or the package's `hm` bin):
 * `hm <resource> <verb> [args] [--json]`, over the typed client (infra/client).
 *
 * Exit codes: 0 done; 1 the server refused (its problem `detail` is printed); 2 a mistake in
 * the command line; 3 not logged in, or the config file is unusable; 4 the server could not
 * be reached or failed (5xx): retry.
 */
import { parseArgs } from 'node:util';
import { ProblemError } from '../client';
import { RESOURCES, type Resource, type Verb } from './hm/commands';
import { configPath, ConfigFileError, readConfig } from './hm/config-store';
import { makeCtx, NotLoggedInError, UsageError, type Options } from './hm/context';
import { ACCOUNT_VERBS } from './hm/login';

const OPTIONS = {
  help: { type: 'boolean', short: 'h' },
  json: { type: 'boolean' },
  url: { type: 'string' },
  'api-key': { type: 'string' },
  'admin-token': { type: 'string' },
  cluster: { type: 'string' },
  tenant: { type: 'string' },
  name: { type: 'string' },
  tier: { type: 'string' },
  region: { type: 'string', multiple: true },
  bucket: { type: 'string', multiple: true },
  'write-quorum': { type: 'string' },
  'deletion-protection': { type: 'boolean' },
  'include-deleted': { type: 'boolean' },
  partitions: { type: 'string' },
  config: { type: 'string', multiple: true },
  access: { type: 'string' },
  from: { type: 'string' },
  to: { type: 'string' },
  granularity: { type: 'string' },
  csv: { type: 'boolean' },
  limit: { type: 'string' },
  cursor: { type: 'string' },
  state: { type: 'string' },
} as const;

const EXIT = { ok: 0, refused: 1, usage: 2, config: 3, unavailable: 4 } as const;

function mainHelp(): string {
  const rows = [...Object.entries(ACCOUNT_VERBS).map(([n, v]) => [n, v.summary]), ...Object.entries(RESOURCES).map(([n, r]) => [n, `${r.summary}: ${Object.keys(r.verbs).join(', ')}`])];
  const w = Math.max(...rows.map(([n]) => n.length));
  return [
    'hm: the Harbormaster command line',
    '',
    'Usage: hm <command> [<verb>] [arguments] [--json] [--url URL]',
    '',
    ...rows.map(([n, s]) => `  ${n.padEnd(w)}  ${s}`),
    '',
    'Options everywhere: --json (the API\'s JSON instead of a table), --url (else $HM_URL, the',
    'logged-in server, http://127.0.0.1:8080), --help. Credentials: `hm login`, or $HM_API_KEY /',
    '$HM_ADMIN_TOKEN. Config file: $HM_CONFIG, else ~/.config/harbormaster/config.json (mode 0600).',
    'Exit codes: 0 done, 1 refused by the server, 2 usage error, 3 not logged in, 4 server unavailable.',
    '',
    'Run `hm <command> --help` for its verbs.',
  ].join('\n') + '\n';
}

const resourceHelp = (name: string, r: Resource) =>
  [`hm ${name}: ${r.summary}`, '', ...Object.values(r.verbs).map((v) => `  ${v.usage}\n      ${v.summary}`), ''].join('\n') + '\n';
const verbHelp = (v: Verb) => `Usage: ${v.usage}\n\n${v.summary}. Add --json for the API's JSON.\n`;

export async function main(argv: string[], env: NodeJS.ProcessEnv, io: { out(s: string): void; err(s: string): void; stdin(): Promise<string> }): Promise<number> {
  let parsed: { values: Options; positionals: string[] };
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true }) as never;
  } catch (e) {
    io.err(`hm: ${(e as Error).message.split('\n')[0]}\nRun \`hm --help\` for usage.\n`);
    return EXIT.usage;
  }
  const [command, verbName, ...rest] = parsed.positionals;
  const opts = parsed.values;
  if (!command) {
    (opts.help ? io.out : io.err)(mainHelp());
    return opts.help ? EXIT.ok : EXIT.usage;
  }

  const account = ACCOUNT_VERBS[command];
  const resource = RESOURCES[command];
  if (!account && !resource) {
    io.err(`hm: unknown command "${command}"\n\n${mainHelp()}`);
    return EXIT.usage;
  }
  let verb: Verb;
  let positionals: string[];
  if (account) {
    verb = account;
    positionals = verbName === undefined ? [] : [verbName, ...rest];
  } else {
    if (!verbName) {
      (opts.help ? io.out : io.err)(resourceHelp(command, resource));
      return opts.help ? EXIT.ok : EXIT.usage;
    }
    const v = resource.verbs[verbName];
    if (!v) {
      io.err(`hm ${command}: unknown verb "${verbName}"\n\n${resourceHelp(command, resource)}`);
      return EXIT.usage;
    }
    verb = v;
    positionals = rest;
  }
  if (opts.help) {
    io.out(verbHelp(verb));
    return EXIT.ok;
  }

  const file = configPath(env);
  try {
    const ctx = makeCtx(positionals, opts, readConfig(file), file, env, io);
    await verb.run(ctx);
    return EXIT.ok;
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`hm: ${e.message}\nUsage: ${verb.usage}\n`);
      return EXIT.usage;
    }
    if (e instanceof NotLoggedInError || e instanceof ConfigFileError) {
      io.err(`hm: ${e.message}\n`);
      return EXIT.config;
    }
    if (e instanceof ProblemError) {
      const code = e.code ? ` (${e.code})` : '';
      io.err(`hm: ${e.message}${code} [HTTP ${e.status}${e.problem.requestId ? `, request ${e.problem.requestId}` : ''}]\n`);
      return e.status >= 500 ? EXIT.unavailable : EXIT.refused;
    }
    if (e instanceof TypeError && /fetch failed/i.test(e.message)) {
      const cause = (e as Error & { cause?: { code?: string; message?: string } }).cause;
      io.err(`hm: cannot reach the server (${cause?.code ?? cause?.message ?? e.message}); is it running? Set --url or $HM_URL.\n`);
      return EXIT.unavailable;
    }
    throw e;
  }
}

const readStdin = async () => {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
};

if (import.meta.url === `file://${process.argv[1]}` || process.argv[1]?.endsWith('/hm.ts') || process.argv[1]?.endsWith('/hm.mjs') || process.argv[1]?.endsWith('/hm')) {
  main(process.argv.slice(2), process.env, { out: (s) => process.stdout.write(s), err: (s) => process.stderr.write(s), stdin: readStdin }).then(
    (code) => {
      process.exitCode = code;
    },
    (e) => {
      process.stderr.write(`hm: unexpected error: ${(e as Error).stack ?? e}\n`);
      process.exitCode = 70;
    },
  );
}
