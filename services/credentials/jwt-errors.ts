import { errors as joseErrors } from 'jose';
import { unauthorized, type AppError } from '../../shared/errors';

/**
 * Maps jose's verification failures to distinct 401 codes, so a client (or an operator
 * reading logs) can tell an expired token from a forged or misdirected one.
 */
export function jwtFailure(e: unknown): AppError {
  if (e instanceof joseErrors.JWTExpired) return unauthorized('token_expired', 'The token has expired.');
  if (e instanceof joseErrors.JOSEAlgNotAllowed) return unauthorized('algorithm_not_allowed', 'The token is signed with an algorithm that is not accepted.');
  if (e instanceof joseErrors.JWSSignatureVerificationFailed) return unauthorized('invalid_token_signature', 'The token signature does not verify.');
  if (e instanceof joseErrors.JWKSNoMatchingKey) return unauthorized('unknown_signing_key', 'The token was signed by a key this server does not know.');
  if (e instanceof joseErrors.JWTClaimValidationFailed) {
    if (e.claim === 'aud') return unauthorized('invalid_audience', 'The token is not meant for this API.');
    if (e.claim === 'iss') return unauthorized('invalid_issuer', 'The token comes from an issuer this API does not trust.');
    if (e.claim === 'typ') return unauthorized('invalid_token_type', 'The token is of the wrong type for this API.');
    return unauthorized('invalid_token_claims', `The token claim "${e.claim}" is not valid.`);
  }
  if (e instanceof joseErrors.JOSEError) return unauthorized('malformed_credentials', 'The bearer token is not a valid JWT.');
  throw e;
}
