import path from 'node:path';
import type { Config } from '../../shared/config';
import type { Logger } from '../../shared/logger';
import type { InProcessStore } from '../../shared/dynamo';
import { startDynalite, startDynaliteChild } from './dynalite';
import { startRedisServer } from './redis-server';
import { lockDataDir } from './data-dir-lock';

export interface Engines {
  dynamoEndpoint?: string;
  /** The embedded store when it runs in this process and its clients may skip the socket. */
  dynamoInProcess?: InProcessStore;
  redisUrl: string;
  close(): Promise<void>;
}

/**
 * The embedded default: dynalite in this process, reached by a function call rather than a
 * socket (HM_EMBEDDED_STORE=in-process-http keeps the loopback HTTP hop), or in a child of its
 * own with HM_EMBEDDED_STORE=child (LevelDB under `<data>/dynamodb`), and a
 * private redis-server child (`<data>/redis`, restarted when it dies), each only when no external
 * one is configured.
 */
export async function startEngines(config: Config, logger?: Logger): Promise<Engines> {
  const closers: (() => Promise<void>)[] = [];
  let dynamoEndpoint = config.dynamodbEndpoint;
  let dynamoInProcess: InProcessStore | undefined;
  let redisUrl = config.redisUrl;
  const embedded = (!dynamoEndpoint && config.env !== 'production') || !redisUrl;
  if (embedded) {
    const unlock = lockDataDir(config.dataDir);
    closers.push(async () => unlock());
  }
  try {
    if (!dynamoEndpoint && config.env !== 'production') {
      const dir = path.join(config.dataDir, 'dynamodb');
      const log = logger?.child({ component: 'embedded-store' });
      const child =
        config.embeddedStore === 'child'
          ? await startDynaliteChild(dir, {
              onExit: ({ code, signal }) => log?.error({ code, signal }, 'embedded store process exited; restarting it'),
              onRestartFailed: (err) => log?.error({ err: err.message }, 'embedded store process did not come back; trying again'),
            })
          : null;
      if (config.embeddedStore === 'child' && !child) log?.warn('no embedded store entry beside this bundle; running the store in process');
      const d = child ?? (await startDynalite(dir));
      dynamoEndpoint = d.endpoint;
      // `in-process-http` keeps the loopback socket (the transport before the direct one, for benches).
      if (config.embeddedStore === 'in-process') dynamoInProcess = d.inProcess;
      closers.push(d.close);
    }
    if (!redisUrl) {
      const log = logger?.child({ component: 'redis-server' });
      const r = await startRedisServer(path.join(config.dataDir, 'redis'), true, {
        onExit: ({ code, signal, delayMs }) => log?.error({ code, signal, delayMs }, 'embedded redis-server exited; restarting it'),
        onRestart: ({ pid, restarts }) => log?.warn({ pid, restarts }, 'embedded redis-server restarted'),
        onRestartFailed: (err) => log?.error({ err: err.message }, 'embedded redis-server did not come back; trying again'),
      });
      redisUrl = r.url;
      closers.push(r.close);
    }
  } catch (e) {
    for (const c of closers.reverse()) await c();
    throw e;
  }
  return {
    dynamoEndpoint,
    dynamoInProcess,
    redisUrl,
    close: async () => {
      for (const c of closers.reverse()) await c();
    },
  };
}
