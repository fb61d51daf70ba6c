import type { FastifyBaseLogger } from 'fastify';
import type { Bindings, ChildLoggerOptions, Level, LevelWithSilent, Logger } from 'pino';

type LogArgs = Parameters<Logger['info']>;

/**
 * A request logger that builds pino's child (whose bindings go through the redaction
 * wildcards: a few KB of garbage each) only when a line is actually written. Fastify makes one
 * per request; on quiet hot routes (heartbeats log at `warn`) most are never written to.
 */
class LazyRequestLogger {
  #real: Logger | undefined;
  #level: LevelWithSilent;

  constructor(
    private readonly parent: Logger,
    private readonly bindings: Bindings,
    private readonly opts: ChildLoggerOptions,
  ) {
    this.#level = (opts.level as LevelWithSilent | undefined) ?? (parent.level as LevelWithSilent);
  }

  get level(): LevelWithSilent {
    return this.#level;
  }
  set level(level: LevelWithSilent) {
    this.#level = level;
    if (this.#real) this.#real.level = level;
  }

  isLevelEnabled(level: Level): boolean {
    const values = this.parent.levels.values;
    return this.#level !== 'silent' && values[level] >= values[this.#level];
  }

  child(bindings: Bindings, opts?: ChildLoggerOptions): FastifyBaseLogger {
    return this.#get().child(bindings, opts) as FastifyBaseLogger;
  }

  fatal(...args: LogArgs) {
    if (this.isLevelEnabled('fatal')) this.#get().fatal(...args);
  }
  error(...args: LogArgs) {
    if (this.isLevelEnabled('error')) this.#get().error(...args);
  }
  warn(...args: LogArgs) {
    if (this.isLevelEnabled('warn')) this.#get().warn(...args);
  }
  info(...args: LogArgs) {
    if (this.isLevelEnabled('info')) this.#get().info(...args);
  }
  debug(...args: LogArgs) {
    if (this.isLevelEnabled('debug')) this.#get().debug(...args);
  }
  trace(...args: LogArgs) {
    if (this.isLevelEnabled('trace')) this.#get().trace(...args);
  }
  silent() {}

  #get(): Logger {
    return (this.#real ??= this.parent.child(this.bindings, { ...this.opts, level: this.#level }));
  }
}

/** Fastify's `childLoggerFactory` option. */
export function lazyRequestLogger(logger: FastifyBaseLogger, bindings: Bindings, opts: ChildLoggerOptions): FastifyBaseLogger {
  return new LazyRequestLogger(logger as unknown as Logger, bindings, opts) as unknown as FastifyBaseLogger;
}
