import { STATUS_CODES } from 'node:http';
import { ERROR_CODES, statusesOf, type ErrorCode } from '../../shared/error-codes';

/**
 * The error-code reference, rendered from shared/error-codes.ts: as HTML for GET /problems
 * (where problem `type` URLs point) and as the README's markdown section, which
 * test/unit/error-codes-readme.test.ts keeps in sync.
 */
export const README_BEGIN = '<!-- error-codes:begin (generated from shared/error-codes.ts by `npm run docs:error-codes`; do not edit) -->';
export const README_END = '<!-- error-codes:end -->';

const codes = () => (Object.keys(ERROR_CODES) as ErrorCode[]).sort((a, b) => statusesOf(a)[0] - statusesOf(b)[0] || a.localeCompare(b));
const statusText = (c: ErrorCode) => statusesOf(c).join(' or ');

export function errorCodesMarkdown(): string {
  const cell = (s: string) => s.replace(/\|/g, '\\|');
  const rows = codes().map((c) => `| \`${c}\` | ${statusText(c)} | ${cell(ERROR_CODES[c].meaning)} | ${cell(ERROR_CODES[c].action)} |`);
  return [README_BEGIN, '', '| code | status | meaning | what to do |', '| --- | --- | --- | --- |', ...rows, '', README_END].join('\n');
}

const esc = (s: string) => s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
/** `code` spans in the table's sentences, as <code>. */
const inline = (s: string) => esc(s).replace(/`([^`]+)`/g, '<code>$1</code>');

export function errorCodesHtml(only?: ErrorCode): string {
  const list = only ? [only] : codes();
  const rows = list
    .map((c) => `<tr id="${c}"><td><a href="/problems/${c}"><code>${c}</code></a></td><td>${statusesOf(c).map((s) => `${s} ${esc(STATUS_CODES[s] ?? '')}`).join('<br>')}</td><td>${inline(ERROR_CODES[c].meaning)}</td><td>${inline(ERROR_CODES[c].action)}</td></tr>`)
    .join('\n');
  const title = only ? `Harbormaster error: ${only}` : 'Harbormaster error codes';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title>
<style>body{font:15px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:72rem;padding:0 1rem}table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #ddd;padding:.4rem .6rem;text-align:left;vertical-align:top}code{font-size:.95em}</style>
</head><body>
<h1>${esc(title)}</h1>
<p>Every error is an <code>application/problem+json</code> document (RFC 9457) with a stable <code>code</code>, a human <code>detail</code> and the <code>requestId</code>; its <code>type</code> is this page's URL for the code.${only ? ' <a href="/problems">All codes</a>.' : ' JSON: <code>GET /problems</code> with <code>Accept: application/json</code>.'}</p>
<table><thead><tr><th>code</th><th>status</th><th>meaning</th><th>what to do</th></tr></thead><tbody>
${rows}
</tbody></table></body></html>
`;
}

export const errorCodeJson = (c: ErrorCode): { code: string; status: number[]; meaning: string; action: string } => ({
  code: c,
  status: [...statusesOf(c)],
  meaning: ERROR_CODES[c].meaning,
  action: ERROR_CODES[c].action,
});
export const errorCodesJson = () => ({ items: codes().map(errorCodeJson) });
