import { GetCallerIdentityCommand, STSClient, STSServiceException } from '@aws-sdk/client-sts';
import type { FinalizeHandler, FinalizeHandlerArguments, MetadataBearer } from '@smithy/types';
import { AppError, unavailable } from '../../shared/errors';
import type { CheckedStsRequest } from './workload-identity-request';

export interface CallerIdentity {
  arn: string;
  account: string;
  userId: string;
}

/** STS error codes that mean "this signed request is no good" rather than "STS is in trouble". */
const RETRYABLE = /^(Throttling|ThrottlingException|RequestLimitExceeded|ServiceUnavailable|InternalFailure|InternalError)$/;

/**
 * Sends an agent's signed GetCallerIdentity request to STS and reads the answer. The request
 * goes through the AWS SDK's STS client, pointed at our configured endpoint, so that the SDK
 * parses STS's XML answers and errors; a middleware after the SDK's own signing step puts the
 * agent's signed headers and body in place, so what reaches STS is exactly what the agent
 * signed (the SDK's throwaway signature never leaves). Where it goes is decided by the
 * endpoint we were configured with, never by the request.
 */
export function stsCallerIdentity(opts: { endpoints: string[]; region: string; timeoutMs?: number }) {
  const clients = new Map(
    opts.endpoints.map((endpoint) => [
      endpoint,
      new STSClient({
        region: opts.region,
        endpoint,
        // Never used to sign anything that is sent: the agent's signature replaces the SDK's.
        credentials: { accessKeyId: 'unused', secretAccessKey: 'unused' },
        maxAttempts: 2,
        requestHandler: { connectionTimeout: 2000, requestTimeout: opts.timeoutMs ?? 5000 },
      }),
    ]),
  );

  return {
    async verify(req: CheckedStsRequest): Promise<CallerIdentity> {
      const client = clients.get(req.endpoint);
      if (!client) throw new Error(`no STS client for ${req.endpoint}`);
      const command = new GetCallerIdentityCommand({});
      command.middlewareStack.addRelativeTo(
        (next: FinalizeHandler<object, MetadataBearer>) => async (args: FinalizeHandlerArguments<object>) => {
          const out = args.request as { headers: Record<string, string>; body: unknown; path: string; query: Record<string, string> };
          out.headers = { ...req.headers, 'content-length': String(Buffer.byteLength(req.body)) };
          out.body = req.body;
          out.path = '/';
          out.query = {};
          return next(args);
        },
        { relation: 'after', toMiddleware: 'httpSigningMiddleware', name: 'forwardAgentSignedRequest' },
      );
      try {
        const out = await client.send(command);
        if (!out.Arn || !out.Account) throw unavailable('sts_unavailable', 'STS answered without an identity; retry.');
        return { arn: out.Arn, account: out.Account, userId: out.UserId ?? '' };
      } catch (e) {
        if (e instanceof STSServiceException) {
          const status = e.$metadata.httpStatusCode ?? 0;
          if (status >= 500 || RETRYABLE.test(e.name)) {
            throw unavailable('sts_unavailable', `STS is unavailable (${e.name}); retry with a freshly signed request.`, { retryAfterSeconds: 2 });
          }
          throw new AppError(401, 'sts_rejected', `STS refused the signed request: ${e.name}: ${e.message}`, { stsCode: e.name });
        }
        if ((e as { code?: string }).code === 'sts_unavailable') throw e;
        throw unavailable('sts_unavailable', 'STS could not be reached; retry with a freshly signed request.', { retryAfterSeconds: 2 });
      }
    },
    close() {
      for (const c of clients.values()) c.destroy();
    },
  };
}
export type StsCallerIdentity = ReturnType<typeof stsCallerIdentity>;
