import type { FastifyInstance } from 'fastify';
import { ConfigError, loadConfig } from '../shared/config';
import { createLogger } from '../shared/logger';
import { startEngines, type Engines } from './local/embedded';
import { RedisMissingError } from './local/redis-server';
import { DataDirInUseError } from './local/data-dir-lock';
import { compose, type Runtime } from './compose';
import { buildApp } from '../api/app';
import { portRefusal, startedLine } from './startup-lines';
import { cloudMetrics } from './cloud-metrics';

/**
 * The long-running entry point (`npm start`). HM_ROLE picks what this process runs: the HTTP
 * API, the background workers, or both (the embedded default).
 */
async function main() {
  let config;
  try {
    config = loadConfig();
  } catch (e) {
    if (e instanceof ConfigError) {
      console.error(`harbormaster: configuration error: ${e.message}`);
      process.exit(2);
    }
    throw e;
  }
  const logger = createLogger(config.logLevel, { role: config.role });

  let engines: Engines;
  try {
    engines = await startEngines(config, logger);
  } catch (e) {
    if (e instanceof RedisMissingError || e instanceof DataDirInUseError) {
      console.error(`harbormaster: ${e.message}`);
      process.exit(1);
    }
    throw e;
  }
  const runtime: Runtime = await compose({ config, dynamoEndpoint: engines.dynamoEndpoint, dynamoInProcess: engines.dynamoInProcess, redisUrl: engines.redisUrl, logger });

  // The app first: building it resets the metrics registry, where the workers then register theirs.
  const app: FastifyInstance | undefined = config.role !== 'workers' ? await buildApp(runtime.appDeps) : undefined;
  if (config.role !== 'api') await runtime.startWorkers();
  if (app) {
    try {
      await app.listen({ port: config.port, host: config.host });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EADDRINUSE' && (e as NodeJS.ErrnoException).code !== 'EACCES') throw e;
      console.error(portRefusal(config.host, config.port, (e as NodeJS.ErrnoException).code!));
      await app.close();
      await runtime.close();
      await engines.close();
      process.exit(1);
    }
  }
  logger.info(
    { role: config.role, dataDir: config.dataDir, embeddedDynamo: !config.dynamodbEndpoint, embeddedRedis: !config.redisUrl },
    'harbormaster started',
  );
  if (app) console.log(startedLine(config.publicUrl, app.server.address()));
  const metrics = config.cloudwatchMetrics
    ? cloudMetrics({
        region: config.awsRegion,
        queues: config.role !== 'api' ? runtime.services.queues : undefined,
        metadata: config.role !== 'workers' ? runtime.services.metadata : undefined,
      })
    : undefined;
  metrics?.start();

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down: draining HTTP, closing workers');
    const force = setTimeout(() => {
      logger.error('shutdown took too long; exiting');
      process.exit(1);
    }, config.shutdownGraceMs);
    force.unref();
    try {
      metrics?.stop();
      await app?.close();
      await runtime.close();
      await engines.close();
      logger.info('stopped');
      process.exit(0);
    } catch (err) {
      logger.error({ err }, 'error during shutdown');
      process.exit(1);
    }
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
}

main().catch((err) => {
  console.error('harbormaster: failed to start:', err);
  process.exit(1);
});
