import { pino, type Logger } from 'pino';

export type { Logger };

/** Paths that may hold credentials: never written to a log line. */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers["idempotency-key"]',
  'headers.authorization',
  '*.secret',
  '*.apiKey',
  '*.agentKey',
  '*.token',
  '*.accessToken',
  '*.password',
  '*.pepper',
];

export function createLogger(level: string, base: Record<string, unknown> = {}): Logger {
  return pino({
    level,
    base: { service: 'harbormaster', ...base },
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
  });
}
