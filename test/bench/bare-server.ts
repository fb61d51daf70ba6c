// The yardstick for the heartbeat benchmark: Fastify with one JSON POST route and nothing else.
import Fastify from 'fastify';

const app = Fastify({ logger: false });
app.get('/ready', async () => ({ ok: true }));
app.post(
  '/beat/:id',
  {
    schema: {
      body: { type: 'object', properties: { stats: { type: 'object', additionalProperties: { type: 'number' } } } },
      response: { 200: { type: 'object', properties: { ok: { type: 'boolean' } } } },
    },
  },
  async () => ({ ok: true }),
);
await app.listen({ port: Number(process.env.PORT ?? 0), host: '127.0.0.1' });
process.on('SIGTERM', () => void app.close().then(() => process.exit(0)));
