/** Scopes a customer API key can carry; each customer route names the one it needs. */
export const API_KEY_SCOPES = [
  'tenant:read',
  'keys:read',
  'keys:write',
  'clusters:read',
  'clusters:write',
  'agent-keys:read',
  'agent-keys:write',
  'agent-identities:read',
  'agent-identities:write',
  'topics:read',
  'topics:write',
  'agents:read',
  'jobs:read',
  'usage:read',
  'audit:read',
] as const;
export type ApiKeyScope = (typeof API_KEY_SCOPES)[number];

export const isApiKeyScope = (s: string): s is ApiKeyScope => (API_KEY_SCOPES as readonly string[]).includes(s);
