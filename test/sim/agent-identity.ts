import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';

/**
 * How an agent proves its workload identity without a static secret: it has the AWS SDK build
 * and sign an STS `GetCallerIdentity` request with its role's credentials (adding the
 * `x-harbormaster-audience` header before signing, so the signature covers it), does not send
 * it, and hands the signed method, URL, headers and body to `POST /agent/v1/token`, which
 * forwards it to STS. This is the same shape HashiCorp Vault's AWS IAM auth accepts.
 */
export interface AgentRoleIdentity {
  /** The cluster to join (the exchange looks up its trust rules). */
  clusterId: string;
  /** The role's credentials (instance profile, pod identity, …) or a provider of them. */
  credentials: AwsCredentialIdentity | AwsCredentialIdentityProvider;
  /** The STS endpoint the control plane forwards to (its `HM_STS_ENDPOINT`). */
  stsEndpoint: string;
  region: string;
  /** The control plane's audience (its `HM_IDENTITY_AUDIENCE`, by default its public URL); '' leaves the header out. */
  audience: string;
  /** Signs with a clock this far off (tests: a stale signature). */
  clockOffsetMs?: number;
}

export interface SignedIdentityRequest {
  clusterId: string;
  iamHttpRequestMethod: string;
  iamRequestUrl: string;
  iamRequestBody: string;
  iamRequestHeaders: string;
}

class Captured extends Error {
  constructor(readonly request: { method: string; protocol: string; hostname: string; port?: number; path: string; headers: Record<string, string>; body?: unknown }) {
    super('captured');
  }
}

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');

/** Builds, signs and captures (does not send) a GetCallerIdentity request with the real SDK. */
export function identitySigner(id: AgentRoleIdentity) {
  const client = new STSClient({
    region: id.region,
    endpoint: id.stsEndpoint,
    credentials: id.credentials,
    maxAttempts: 1,
    systemClockOffset: id.clockOffsetMs ?? 0,
  });
  client.middlewareStack.add(
    (next) => async (args) => {
      if (id.audience) (args.request as { headers: Record<string, string> }).headers['x-harbormaster-audience'] = id.audience;
      return next(args);
    },
    { step: 'build', name: 'harbormasterAudienceHeader' },
  );
  client.middlewareStack.addRelativeTo(
    () => async (args: { request: unknown }) => {
      throw new Captured(args.request as Captured['request']);
    },
    { relation: 'after', toMiddleware: 'httpSigningMiddleware', name: 'captureSignedRequest' },
  );

  return {
    async sign(): Promise<SignedIdentityRequest> {
      try {
        await client.send(new GetCallerIdentityCommand({}));
      } catch (e) {
        if (!(e instanceof Captured)) throw e;
        const r = e.request;
        const url = `${r.protocol}//${r.hostname}${r.port ? `:${r.port}` : ''}${r.path}`;
        return {
          clusterId: id.clusterId,
          iamHttpRequestMethod: r.method,
          iamRequestUrl: b64(url),
          iamRequestBody: b64(typeof r.body === 'string' ? r.body : Buffer.from(r.body as Uint8Array).toString('utf8')),
          iamRequestHeaders: b64(JSON.stringify(r.headers)),
        };
      }
      throw new Error('the STS client sent the request instead of handing it over');
    },
    close: () => client.destroy(),
  };
}
