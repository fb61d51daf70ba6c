import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import awsLambdaFastify from '@fastify/aws-lambda';
import { buildApp } from '../api/app';
import { leaderForwarder } from '../api/forwarding/leader-forwarder';
import { ConfigError, loadConfig } from '../shared/config';
import { createLogger } from '../shared/logger';
import { leaderLocator } from '../services/metadata/leader-locator';
import { compose, type Runtime } from './compose';

/**
 * The Lambda entry point (behind an API Gateway HTTP API): the same app as `infra/server.ts`,
 * with the customer and admin routes only. It never leads a cluster (no leases, no long polls):
 * customer topic requests are forwarded to the cluster's leader on the agent plane
 * (HM_AGENT_PLANE_URL, see api/forwarding/leader-forwarder.ts). Nothing is built at import
 * time: the first invocation composes the runtime, later ones reuse it.
 */
type Handler = (event: APIGatewayProxyEventV2, context: Context) => Promise<APIGatewayProxyStructuredResultV2>;

export interface LambdaApp {
  handler: Handler;
  runtime: Runtime;
  close(): Promise<void>;
}

export async function createLambdaApp(env: Record<string, string | undefined> = process.env): Promise<LambdaApp> {
  const config = loadConfig({ ...env, HM_ROLE: 'api' });
  const agentPlaneUrl = config.agentPlaneUrl;
  if (!agentPlaneUrl) throw new ConfigError('HM_AGENT_PLANE_URL is required: the Lambda API forwards topic changes to the agent plane');
  if (!config.redisUrl) throw new ConfigError('REDIS_URL is required in the Lambda API');
  const logger = createLogger(config.logLevel, { role: 'lambda' });
  const runtime = await compose({ config, dynamoEndpoint: config.dynamodbEndpoint, redisUrl: config.redisUrl, logger, pollRevocations: false, meterUsage: false });
  const forwarder = leaderForwarder({ locate: leaderLocator(runtime.db, runtime.tables.metadata, runtime.clock), fallbackUrl: agentPlaneUrl });
  const app = await buildApp({ ...runtime.appDeps, leaderForwarder: forwarder }, { audiences: ['customer', 'admin'] });
  // @fastify/aws-lambda wants its proxy made before the app is ready.
  const proxy = awsLambdaFastify(app, { decorateRequest: false }) as unknown as Handler;
  await app.ready();
  return {
    handler: proxy,
    runtime,
    async close() {
      await app.close();
      await runtime.close();
    },
  };
}

let starting: Promise<LambdaApp> | undefined;

export const handler: Handler = async (event, context) => {
  starting ??= createLambdaApp().catch((e) => {
    starting = undefined; // a failed start is retried by the next invocation
    throw e;
  });
  return (await starting).handler(event, context);
};
