import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../../shared/config';
import { ADMIN_ROLES, loadLocalAdminIssuer, type AdminRole } from '../../services/credentials/admin-tokens';

/**
 * `npm run -s admin-token [-- --sub alice --role viewer --ttl 3600]`: prints an admin JWT
 * from the embedded issuer. Works whether or not the server is running: the issuer key is a
 * file under the data directory.
 */
async function main() {
  const { values } = parseArgs({
    options: {
      sub: { type: 'string', default: process.env.USER ?? 'local-admin' },
      role: { type: 'string', multiple: true, default: ['admin'] },
      ttl: { type: 'string', default: '3600' },
    },
  });
  const config = loadConfig();
  if (config.admin.jwksUrl) {
    throw new ConfigError('HM_ADMIN_JWKS_URL is set: admin tokens come from your identity provider, not from this command.');
  }
  const roles = values.role as string[];
  const bad = roles.filter((r) => !(ADMIN_ROLES as readonly string[]).includes(r));
  if (bad.length > 0) throw new ConfigError(`unknown role(s) ${bad.join(', ')}; use ${ADMIN_ROLES.join(' or ')}`);
  const ttl = Number(values.ttl);
  if (!Number.isInteger(ttl) || ttl < 60 || ttl > 86_400) throw new ConfigError('--ttl must be 60..86400 seconds');
  const issuer = await loadLocalAdminIssuer(config.dataDir, config.admin.issuer, config.admin.audience);
  process.stdout.write(`${await issuer.mint({ sub: values.sub!, roles: roles as AdminRole[], ttlSeconds: ttl })}\n`);
}

main().catch((e) => {
  console.error(`admin-token: ${e instanceof ConfigError ? e.message : (e as Error).stack}`);
  process.exit(2);
});
