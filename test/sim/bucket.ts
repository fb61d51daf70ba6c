import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/**
 * A local directory standing in for the customer's bucket. The reference agent writes real
 * files here and commits only their metadata; consumers read the byte ranges back. Record
 * bytes never go to the control plane.
 */
export class LocalBucket {
  constructor(
    readonly dir: string,
    readonly region = 'us-east-1',
    readonly name = 'local-bucket',
  ) {
    mkdirSync(dir, { recursive: true });
  }

  /** Writes one file of concatenated batches and returns their byte ranges. */
  writeFile(objectKey: string, batches: Buffer[]) {
    const body = Buffer.concat(batches);
    const file = path.join(this.dir, objectKey.replace(/[^A-Za-z0-9._-]/g, '_'));
    writeFileSync(file, body);
    let at = 0;
    const ranges = batches.map((b) => {
      const r = { byteOffset: at, byteLength: b.length };
      at += b.length;
      return r;
    });
    return { sizeBytes: body.length, checksum: `sha256:${createHash('sha256').update(body).digest('hex').slice(0, 32)}`, ranges };
  }

  read(objectKey: string, byteOffset: number, byteLength: number): Buffer {
    const body = readFileSync(path.join(this.dir, objectKey.replace(/[^A-Za-z0-9._-]/g, '_')));
    return body.subarray(byteOffset, byteOffset + byteLength);
  }
}

/** A fake record batch: a header naming what it holds, then random bytes. */
export function fakeBatch(topic: string, partition: number, seq: number, size = 256): Buffer {
  const head = Buffer.from(`${topic}/${partition}/${seq};`);
  return Buffer.concat([head, randomBytes(Math.max(0, size - head.length))]);
}
