/**
 * One error type for every expected failure. The HTTP layer turns it into an RFC 9457
 * problem+json body; `code` is the stable, machine-readable part of the contract.
 */
export class AppError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly detail: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(detail);
    this.name = 'AppError';
  }
}

export const badRequest = (code: string, detail: string, extra?: Record<string, unknown>) =>
  new AppError(400, code, detail, extra);
export const unauthorized = (code: string, detail: string) => new AppError(401, code, detail);
export const forbidden = (code: string, detail: string) => new AppError(403, code, detail);
export const notFound = (code: string, detail: string) => new AppError(404, code, detail);
export const conflict = (code: string, detail: string, extra?: Record<string, unknown>) =>
  new AppError(409, code, detail, extra);
export const unprocessable = (code: string, detail: string, extra?: Record<string, unknown>) =>
  new AppError(422, code, detail, extra);
/** Retryable: the caller should try again (after `retryAfterSeconds`). */
export const unavailable = (code: string, detail: string, extra?: Record<string, unknown>) =>
  new AppError(503, code, detail, { retryable: true, ...extra });

export const isAppError = (e: unknown): e is AppError => e instanceof AppError;
