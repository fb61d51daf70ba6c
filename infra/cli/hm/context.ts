import { harbormasterClient, type HarbormasterClient } from '../../client';
import type { HmConfig } from './config-store';

/** What a command gets: its arguments, the clients for the stored credentials, and output. */
export type Options = Record<string, string | string[] | boolean | undefined>;

export interface Ctx {
  positionals: string[];
  opts: Options;
  json: boolean;
  config: HmConfig;
  configFile: string;
  env: NodeJS.ProcessEnv;
  out(text: string): void;
  /** All of standard input (for secrets given as `-`). */
  stdin(): Promise<string>;
  /** The server URL: --url, $HM_URL, the logged-in one, or the local default. */
  url(): string;
  /** The API key's client (customer routes); exits 3 when there is none. */
  customer(): HarbormasterClient;
  /** The admin token's client (admin routes); exits 3 when there is none. */
  admin(): HarbormasterClient;
}

/** A mistake in the command line: exit 2 with the message (and the command's usage). */
export class UsageError extends Error {}
/** No URL or credential for what was asked: exit 3. */
export class NotLoggedInError extends Error {}

export const DEFAULT_URL = 'http://127.0.0.1:8080';

export function makeCtx(
  positionals: string[],
  opts: Options,
  config: HmConfig,
  configFile: string,
  env: NodeJS.ProcessEnv,
  io: { out(s: string): void; stdin(): Promise<string> },
): Ctx {
  const url = () => String(opts.url || env.HM_URL || config.url || DEFAULT_URL);
  return {
    positionals,
    opts,
    json: opts.json === true,
    config,
    configFile,
    env,
    out: io.out,
    stdin: io.stdin,
    url,
    customer() {
      const token = env.HM_API_KEY || config.apiKey;
      if (!token) throw new NotLoggedInError('no API key: run `hm login --api-key -` (reads the key from stdin) or set HM_API_KEY');
      return harbormasterClient({ baseUrl: url(), token });
    },
    admin() {
      const token = env.HM_ADMIN_TOKEN || config.adminToken;
      if (!token) throw new NotLoggedInError('no admin token: run `hm login --admin-token -` (e.g. npm run -s admin-token | hm login --admin-token -) or set HM_ADMIN_TOKEN');
      return harbormasterClient({ baseUrl: url(), token });
    },
  };
}

/** The one positional argument a verb takes (an id or a name). */
export function arg(ctx: Ctx, name: string): string {
  const v = ctx.positionals[0];
  if (!v) throw new UsageError(`missing <${name}>`);
  if (ctx.positionals.length > 1) throw new UsageError(`unexpected argument "${ctx.positionals[1]}"`);
  return v;
}

export function noArgs(ctx: Ctx) {
  if (ctx.positionals.length > 0) throw new UsageError(`unexpected argument "${ctx.positionals[0]}"`);
}

export function opt(ctx: Ctx, name: string, required: true): string;
export function opt(ctx: Ctx, name: string, required?: false): string | undefined;
export function opt(ctx: Ctx, name: string, required = false): string | undefined {
  const v = ctx.opts[name];
  if (Array.isArray(v)) return v.at(-1);
  if (typeof v === 'string') return v;
  if (required) throw new UsageError(`missing --${name}`);
  return undefined;
}

export const list = (ctx: Ctx, name: string): string[] => {
  const v = ctx.opts[name];
  return Array.isArray(v) ? v : typeof v === 'string' ? [v] : [];
};

export function int(ctx: Ctx, name: string, required: true): number;
export function int(ctx: Ctx, name: string, required?: false): number | undefined;
export function int(ctx: Ctx, name: string, required = false): number | undefined {
  const v = required ? opt(ctx, name, true) : opt(ctx, name);
  if (v === undefined) return undefined;
  if (!/^-?\d+$/.test(v)) throw new UsageError(`--${name} must be a whole number, not "${v}"`);
  return Number(v);
}

export function print(ctx: Ctx, data: unknown, human: () => string) {
  ctx.out(ctx.json ? JSON.stringify(data, null, 2) + '\n' : human());
}
