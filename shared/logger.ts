import { pino, type DestinationStream, type Logger, type LoggerOptions } from 'pino';

export type { Logger };

/** Paths that may hold credentials: never written to a log line. */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers["idempotency-key"]',
  'req.headers.cookie',
  'headers.authorization',
  'authorization',
  'secret',
  'apiKey',
  'agentKey',
  'token',
  'accessToken',
  'password',
  'pepper',
  'iamRequestHeaders',
  'secretAccessKey',
  'sessionToken',
  '*.secret',
  '*.apiKey',
  '*.agentKey',
  '*.token',
  '*.accessToken',
  '*.password',
  '*.pepper',
  '*.iamRequestHeaders',
  '*.secretAccessKey',
  '*.sessionToken',
];

/** A JSON logger to stdout, or to `destination` (tests read what was written). */
export function createLogger(level: string, base: Record<string, unknown> = {}, destination?: DestinationStream): Logger {
  const options: LoggerOptions = {
    level,
    base: { service: 'harbormaster', ...base },
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  return destination ? pino(options, destination) : pino(options);
}
