import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { SignJWT, exportJWK, generateKeyPair } from 'jose';

/**
 * The vendor's identity provider as production sees it: a JWKS served over TLS (production
 * refuses a plain-http HM_ADMIN_JWKS_URL) and admin tokens signed with its key. The TLS
 * certificate is self-signed for 127.0.0.1 (made with `openssl`); a process that fetches the
 * JWKS trusts it through `NODE_EXTRA_CA_CERTS=caFile`.
 */
export async function startIdpStandIn(issuer = 'https://idp.harbormaster.test/') {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hm-idp-'));
  const keyFile = path.join(dir, 'tls.key');
  const caFile = path.join(dir, 'tls.crt');
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2',
    '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', keyFile, '-out', caFile,
  ], { stdio: 'ignore' });
  const { publicKey, privateKey } = await generateKeyPair('ES256');
  const kid = 'idp-test-1';
  const jwks = JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' }] });
  const server = createServer({ key: readFileSync(keyFile), cert: readFileSync(caFile) }, (req, res) => {
    if (req.url !== '/.well-known/jwks.json') return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': 'application/json' }).end(jwks);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    issuer,
    jwksUrl: `https://127.0.0.1:${port}/.well-known/jwks.json`,
    caFile,
    mint: (roles: string[], sub = 'staff@vendor.test', audience = 'admin') =>
      new SignJWT({ roles }).setProtectedHeader({ alg: 'ES256', kid }).setIssuer(issuer).setAudience(audience).setSubject(sub).setIssuedAt().setExpirationTime('10m').sign(privateKey),
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
