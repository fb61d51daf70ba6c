import type { Redis } from 'ioredis';

/**
 * Redis's keys grouped by shape (ids replaced by `*`), with their count and summed MEMORY
 * USAGE (every field counted: sampling misses a job's one large field), largest first: what
 * grows with history shows as a shape whose count keeps rising.
 */
export async function redisBreakdown(redis: Redis): Promise<{ shape: string; keys: number; bytes: number }[]> {
  const groups = new Map<string, { keys: number; bytes: number }>();
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'COUNT', 1000);
    cursor = next;
    const sizes = await Promise.all(keys.map((k) => redis.memory('USAGE', k, 'SAMPLES', 0).catch(() => 0)));
    keys.forEach((k, i) => {
      const shape = k
        .replace(/vci_[A-Za-z0-9]+/g, 'vci_*')
        .replace(/job_[A-Za-z0-9_-]{22}-\d+/g, 'job_*')
        .replace(/(agent:\{[^}]*\}:).*/, '$1*')
        .replace(/:\d+$/, ':N')
        .replace(/repeat:[^:]+/, 'repeat:*');
      const g = groups.get(shape) ?? { keys: 0, bytes: 0 };
      g.keys++;
      g.bytes += Number(sizes[i] ?? 0);
      groups.set(shape, g);
    });
  } while (cursor !== '0');
  return [...groups].map(([shape, g]) => ({ shape, ...g })).sort((a, b) => b.bytes - a.bytes);
}

export function printRedisBreakdown(rows: { shape: string; keys: number; bytes: number }[], top = 12): void {
  console.log('  redis keys by shape (count, MEMORY USAGE):');
  for (const r of rows.slice(0, top)) console.log(`    ${String(r.keys).padStart(7)}  ${(r.bytes / 2 ** 20).toFixed(2).padStart(8)} MB  ${r.shape}`);
}
