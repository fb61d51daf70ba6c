import type { AddressInfo } from 'node:net';

/**
 * What a person starting the server reads: one line once it listens (where it is, where the
 * docs are, how to get in), and a plain sentence instead of a stack trace when the port is taken.
 */
export function startedLine(publicUrl: string, address: AddressInfo | string | null): string {
  // With PORT=0 the public URL names port 0; the socket knows the real one.
  const url = typeof address === 'object' && address && /:0$/.test(publicUrl) ? publicUrl.replace(/:0$/, `:${address.port}`) : publicUrl;
  return `Harbormaster is up at ${url}  ·  API docs: ${url}/docs  ·  admin token: npm run -s admin-token  ·  Ctrl-C stops it`;
}

export function portRefusal(host: string, port: number, code: string): string {
  if (code === 'EACCES') return `harbormaster: not allowed to listen on ${host}:${port}; set PORT to a port above 1023 (for example PORT=8081 npm start).`;
  return `harbormaster: port ${port} on ${host} is already in use (another Harbormaster?); set PORT to a free one, for example PORT=${port === 65535 ? 8081 : port + 1} npm start.`;
}
