/** `npm run client:generate`: rewrites infra/client/openapi.json and infra/client/api-types.ts. */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { DOCUMENT_FILE, TYPES_FILE, clientTypes, servedDocument } from './generate';

const write = (file: string, text: string) => {
  let old: string | undefined;
  try {
    old = readFileSync(file, 'utf8');
  } catch {
    old = undefined;
  }
  const rel = path.relative(process.cwd(), file);
  if (old === text) process.stdout.write(`${rel}: up to date\n`);
  else {
    writeFileSync(file, text);
    process.stdout.write(`${rel}: written\n`);
  }
};

const document = await servedDocument();
write(DOCUMENT_FILE, document);
write(TYPES_FILE, await clientTypes(document));
process.exit(0);
