import net from 'node:net';

/**
 * A TCP link to a real server that the test can cut and restore: while cut, open connections
 * are reset and new ones are dropped at once, as when the network to the store goes away.
 */
export async function startTcpLink(target: { host: string; port: number }, opts: { record?: (clientBytes: Buffer) => void } = {}) {
  const open = new Set<net.Socket>();
  let cut = false;
  const server = net.createServer((client) => {
    if (cut) return client.resetAndDestroy();
    const upstream = net.connect(target.port, target.host);
    open.add(client);
    open.add(upstream);
    const drop = () => {
      open.delete(client);
      open.delete(upstream);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    // Everything the client sent, as the server received it (the zero-trust e2e scans it).
    if (opts.record) client.on('data', (chunk: Buffer) => opts.record!(chunk));
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    cut() {
      cut = true;
      for (const s of open) s.resetAndDestroy();
      open.clear();
    },
    restore() {
      cut = false;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of open) s.destroy();
        server.close(() => resolve());
      }),
  };
}
