import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyBaseLogger } from 'fastify';
import { createLogger } from '../../shared/logger';
import { lazyRequestLogger } from '../../api/plugins/request-logger';

function capture(level = 'info') {
  const lines: Record<string, any>[] = [];
  const logger = createLogger(level, {}, { write: (l: string) => void lines.push(JSON.parse(l)) });
  return { lines, logger: logger as unknown as FastifyBaseLogger };
}

test('a lazy request logger writes what pino would, with the request bindings', () => {
  const { lines, logger } = capture('info');
  const log = lazyRequestLogger(logger, { reqId: 'r-1' }, {});
  assert.equal(log.level, 'info');
  log.debug('hidden');
  log.info({ a: 1 }, 'shown');
  log.warn({ token: 'secret-token' }, 'redacted');
  assert.deepEqual(lines.map((l) => [l.msg, l.reqId, l.level]), [['shown', 'r-1', 30], ['redacted', 'r-1', 40]]);
  assert.equal(lines[0].a, 1);
  assert.equal(lines[1].token, '[redacted]', 'redaction still applies');
  log.child({ part: 'x' }).error('from a child');
  assert.equal(lines[2].reqId, 'r-1');
  assert.equal(lines[2].part, 'x');
});

test("a route's quieter level holds, and can be changed afterwards", () => {
  const { lines, logger } = capture('info');
  const log = lazyRequestLogger(logger, { reqId: 'r-2' }, { level: 'warn' });
  log.info('incoming request');
  assert.equal(lines.length, 0);
  log.error('failed');
  assert.equal(lines.length, 1);
  log.level = 'debug';
  log.debug('now shown');
  assert.deepEqual(lines.map((l) => l.msg), ['failed', 'now shown']);
  const silent = lazyRequestLogger(logger, { reqId: 'r-3' }, { level: 'silent' });
  silent.fatal('nothing');
  assert.equal(lines.length, 2);
});
