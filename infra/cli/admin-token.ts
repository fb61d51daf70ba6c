import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../../shared/config';
import { ADMIN_ROLES, loadLocalAdminIssuer, type AdminRole } from '../../services/credentials/admin-tokens';

const HELP = `Usage: npm run -s admin-token [-- options]

Prints an admin JWT from the local issuer (its key is under HM_DATA_DIR, default .data).
Works whether or not the server is running.

Options:
  --sub <name>     subject of the token (default: $USER, else local-admin)
  --role <role>    admin or viewer; repeat for both (default: admin)
  --ttl <seconds>  lifetime, 60..86400 (default: 3600)
  -h, --help       show this help

Example:
  ADMIN=$(npm run -s admin-token -- --role viewer --ttl 600)
  curl -H "authorization: Bearer $ADMIN" localhost:8080/admin/v1/tenants
`;

/** A mistake in how the command was called: the message and the usage, exit code 2. */
class UsageError extends Error {}

function parse(argv: string[]) {
  try {
    return parseArgs({
      args: argv,
      options: {
        sub: { type: 'string', default: process.env.USER ?? 'local-admin' },
        role: { type: 'string', multiple: true, default: ['admin'] },
        ttl: { type: 'string', default: '3600' },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (e) {
    // parseArgs says what was wrong ("Unknown option '--foo'"); the stack adds nothing.
    throw new UsageError((e as Error).message);
  }
}

/**
 * `npm run -s admin-token [-- --sub alice --role viewer --ttl 3600]`: prints an admin JWT
 * from the embedded issuer. The issuer key is a file under the data directory.
 */
async function main() {
  const values = parse(process.argv.slice(2));
  if (values.help) {
    process.stdout.write(HELP);
    return;
  }
  const roles = values.role as string[];
  const bad = roles.filter((r) => !(ADMIN_ROLES as readonly string[]).includes(r));
  if (bad.length > 0) throw new UsageError(`unknown role(s) ${bad.join(', ')}; use ${ADMIN_ROLES.join(' or ')}`);
  const ttl = Number(values.ttl);
  if (!Number.isInteger(ttl) || ttl < 60 || ttl > 86_400) throw new UsageError('--ttl must be a whole number of seconds, 60..86400');
  const config = loadConfig();
  if (config.admin.jwksUrl) {
    throw new ConfigError('HM_ADMIN_JWKS_URL is set: admin tokens come from your identity provider, not from this command.');
  }
  const issuer = await loadLocalAdminIssuer(config.dataDir, config.admin.issuer, config.admin.audience);
  process.stdout.write(`${await issuer.mint({ sub: values.sub!, roles: roles as AdminRole[], ttlSeconds: ttl })}\n`);
}

main().catch((e) => {
  if (e instanceof UsageError) {
    console.error(`admin-token: ${e.message}\n\n${HELP}`);
  } else {
    console.error(`admin-token: ${e instanceof ConfigError ? e.message : (e as Error).stack}`);
  }
  process.exit(2);
});
