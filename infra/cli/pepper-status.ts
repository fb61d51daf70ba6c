import { ConfigError, loadConfig } from '../../shared/config';
import { loadLocalAdminIssuer } from '../../services/credentials/admin-tokens';

/**
 * `npm run -s pepper-status`: after rotating `HM_API_KEY_PEPPER` (`new,old`), reports how many
 * live API and agent keys still need the old pepper (each is re-hashed on its next use), and
 * whether the agent-token signing key still does. When `remaining` is 0, drop the old pepper.
 * Asks the running control plane at HM_PUBLIC_URL, with a local admin token (or
 * HM_ADMIN_TOKEN when admin tokens come from your identity provider).
 */
async function main() {
  const config = loadConfig();
  let token = process.env.HM_ADMIN_TOKEN;
  if (!token) {
    if (config.admin.jwksUrl) throw new ConfigError('HM_ADMIN_JWKS_URL is set: pass a viewer token from your identity provider in HM_ADMIN_TOKEN.');
    const issuer = await loadLocalAdminIssuer(config.dataDir, config.admin.issuer, config.admin.audience);
    token = await issuer.mint({ sub: 'pepper-status', roles: ['viewer'], ttlSeconds: 120 });
  }
  const res = await fetch(`${config.publicUrl}/admin/v1/pepper-status`, { headers: { authorization: `Bearer ${token}` } });
  const body = (await res.json()) as Record<string, any>;
  if (!res.ok) throw new Error(`${res.status} ${body.code ?? ''}: ${body.detail ?? ''}`);
  const line = (name: string, c: { current: number; previous: number; untagged: number }) =>
    `${name}: ${c.current} on the current pepper, ${c.previous} on a previous one, ${c.untagged} from before pepper tracking`;
  console.log(`current pepper ${body.currentPepperId}; previous ${body.previousPepperIds.join(', ') || '(none)'}`);
  console.log(line('API keys', body.apiKeys));
  console.log(line('agent keys', body.agentKeys));
  if (body.signingKey === 'previous') console.log('signing key: sealed under a previous pepper (its successor takes over within a few minutes of start)');
  console.log(`remaining: ${body.remaining}${body.remaining === 0 ? ' (the previous pepper can be removed)' : ' (keep the previous pepper until this reaches 0)'}`);
  console.log(JSON.stringify(body));
}

main().catch((e) => {
  console.error(`pepper-status: ${e instanceof ConfigError ? e.message : (e as Error).message}`);
  process.exit(2);
});
