import { fork, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import dynalite from 'dynalite';
import { closeDynaliteIterators } from './close-iterators';
import type { InProcessStore } from '../../shared/dynamo';
import { directStore } from './dynalite-direct';
import { speedUpDynaliteIo } from './dynalite-io';
import { makeDynaliteStricter } from './dynalite-strict';

export interface EmbeddedDynamo {
  endpoint: string;
  /** Set when the engine runs in this process: clients made with it skip the socket (see dynalite-direct.ts). */
  inProcess?: InProcessStore;
  close(): Promise<void>;
}

/**
 * dynalite in this process. With `dir`, data lives in LevelDB there (locked by this
 * process); without it, in memory (tests).
 */
export async function startDynalite(dir?: string, port = 0): Promise<EmbeddedDynamo> {
  if (dir) mkdirSync(dir, { recursive: true });
  closeDynaliteIterators();
  speedUpDynaliteIo();
  makeDynaliteStricter();
  const server = dynalite({ path: dir, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const bound = (server.address() as AddressInfo).port;
  const direct = directStore(server);
  return {
    endpoint: `http://127.0.0.1:${bound}`,
    inProcess: direct.store,
    close: async () => {
      // Direct requests under way finish before the store closes, as open connections do.
      await direct.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
      });
    },
  };
}

const CHILD_ENTRY = path.join(import.meta.dirname, 'dynalite-child.ts');

export interface ChildDynamoEvents {
  /** The child exited without being asked to; it is started again on the same port. */
  onExit?(info: { code: number | null; signal: string | null }): void;
  onRestartFailed?(err: Error): void;
}

/**
 * dynalite in a child process of its own (as redis-server is), so that the store's request
 * handling (parsing, validation, LevelDB) does not share the API's event loop. Same data
 * directory and lock rules; the child follows the parent out (it exits when its IPC channel
 * closes) and, should it die, is started again on the same port so clients simply retry.
 * Null when the child's entry is not there (a bundled server): run it in process then.
 */
export async function startDynaliteChild(dir: string | undefined, events: ChildDynamoEvents = {}): Promise<EmbeddedDynamo | null> {
  if (!existsSync(CHILD_ENTRY)) return null;
  let child: ChildProcess | undefined;
  let closing = false;
  const spawnChild = (port: number) =>
    new Promise<{ proc: ChildProcess; endpoint: string }>((resolve, reject) => {
      const proc = fork(CHILD_ENTRY, [dir ?? '', String(port)], { execArgv: process.execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
      const onExit = (code: number | null) => reject(new Error(`the embedded store process exited (${code}) before it was ready`));
      proc.once('error', reject);
      proc.once('exit', onExit);
      proc.once('message', (m: { endpoint?: string }) => {
        proc.off('exit', onExit);
        if (m?.endpoint) resolve({ proc, endpoint: m.endpoint });
        else reject(new Error('the embedded store process sent no endpoint'));
      });
    });
  const first = await spawnChild(0);
  const port = Number(new URL(first.endpoint).port);
  const watch = (proc: ChildProcess) => {
    child = proc;
    proc.once('exit', (code, signal) => {
      if (closing) return;
      events.onExit?.({ code, signal });
      const retry = async (delayMs: number): Promise<void> => {
        await new Promise((r) => setTimeout(r, delayMs));
        if (closing) return;
        try {
          watch((await spawnChild(port)).proc);
        } catch (e) {
          events.onRestartFailed?.(e as Error);
          return retry(Math.min(delayMs * 2, 5000));
        }
      };
      void retry(100);
    });
  };
  watch(first.proc);
  return {
    endpoint: first.endpoint,
    close: async () => {
      closing = true;
      const proc = child;
      if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
      const exited = new Promise<void>((r) => proc.once('exit', () => r()));
      if (proc.connected) proc.send('close');
      else proc.kill('SIGTERM');
      await exited;
    },
  };
}
