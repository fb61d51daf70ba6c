import type { FastifyReply } from 'fastify';
import { CSV_COLUMNS, csvLine } from '../../services/usage/service';
import type { UsageItem } from '../../services/usage/model';

/** Sends a usage range as one CSV file (header row, then one row per item). */
export async function sendUsageCsv(reply: FastifyReply, name: string, items: AsyncIterable<UsageItem>) {
  const lines = [CSV_COLUMNS.join(',')];
  for await (const i of items) lines.push(csvLine(i));
  return reply
    .type('text/csv; charset=utf-8')
    .header('content-disposition', `attachment; filename="${name.replace(/[^A-Za-z0-9._-]/g, '_')}.csv"`)
    .send(`${lines.join('\r\n')}\r\n`);
}
