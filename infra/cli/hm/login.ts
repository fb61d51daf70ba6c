import { harbormasterClient, ok } from '../../client';
import type { Verb } from './commands';
import { noArgs, opt, UsageError, type Ctx } from './context';
import { removeConfig, writeConfig, type HmConfig } from './config-store';

/** A secret from its option, or from standard input when given as `-` (keeps it out of shell history). */
async function secret(ctx: Ctx, name: string): Promise<string | undefined> {
  const v = opt(ctx, name);
  if (v !== '-') return v;
  const text = (await ctx.stdin()).trim();
  if (!text) throw new UsageError(`--${name} - read nothing from standard input`);
  return text;
}

/** login / logout / whoami: the account verbs, which take no resource. */
export const ACCOUNT_VERBS: Record<string, Verb> = {
  login: {
    usage: 'hm login [--url URL] (--api-key KEY|- | --admin-token TOKEN|-)',
    summary: 'Check a credential against the server and store it (with the URL) in the config file, mode 0600',
    run: async (ctx) => {
      noArgs(ctx);
      const apiKey = await secret(ctx, 'api-key');
      const adminToken = await secret(ctx, 'admin-token');
      if (!apiKey && !adminToken) throw new UsageError('give --api-key or --admin-token (use - to read it from standard input)');
      if (apiKey && adminToken) throw new UsageError('give one of --api-key and --admin-token at a time');
      const url = ctx.url();
      const next: HmConfig = { ...ctx.config, url };
      // A credential is stored only once the server has accepted it.
      if (apiKey) {
        const tenant = await ok(harbormasterClient({ baseUrl: url, token: apiKey }).GET('/v1/tenant'));
        next.apiKey = apiKey;
        writeConfig(ctx.configFile, next);
        ctx.out(ctx.json ? JSON.stringify({ url, tenantId: tenant.id, tenant: tenant.name, configFile: ctx.configFile }) + '\n' : `Logged in to ${url} as tenant ${tenant.name} (${tenant.id}); saved in ${ctx.configFile}\n`);
      } else {
        await ok(harbormasterClient({ baseUrl: url, token: adminToken }).GET('/admin/v1/tenants', { params: { query: { limit: 1 } } }));
        next.adminToken = adminToken;
        writeConfig(ctx.configFile, next);
        ctx.out(ctx.json ? JSON.stringify({ url, admin: true, configFile: ctx.configFile }) + '\n' : `Logged in to ${url} with an admin token; saved in ${ctx.configFile}\n`);
      }
    },
  },
  logout: {
    usage: 'hm logout',
    summary: 'Forget the stored URL and credentials (removes the config file)',
    run: async (ctx) => {
      noArgs(ctx);
      const removed = removeConfig(ctx.configFile);
      ctx.out(ctx.json ? JSON.stringify({ removed, configFile: ctx.configFile }) + '\n' : removed ? `Removed ${ctx.configFile}\n` : `Not logged in (no ${ctx.configFile})\n`);
    },
  },
  whoami: {
    usage: 'hm whoami',
    summary: 'The server and which credentials are in use (never the secrets)',
    run: async (ctx) => {
      noArgs(ctx);
      const source = (env: string, stored: string | undefined) => (ctx.env[env] ? `from $${env}` : stored ? 'stored' : 'none');
      const info = { url: ctx.url(), configFile: ctx.configFile, apiKey: source('HM_API_KEY', ctx.config.apiKey), adminToken: source('HM_ADMIN_TOKEN', ctx.config.adminToken) };
      ctx.out(ctx.json ? JSON.stringify(info) + '\n' : `url:         ${info.url}\nconfig file: ${info.configFile}\nAPI key:     ${info.apiKey}\nadmin token: ${info.adminToken}\n`);
    },
  },
};
