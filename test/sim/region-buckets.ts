import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, renameSync } from 'node:fs';
import { readdir, readFile, stat, unlink, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';

/**
 * A multi-region cluster's buckets: one local directory per region, standing for the
 * customer's bucket there. The reference agent writes each file to every region in parallel
 * and commits once the write quorum holds it; readers take the first listed replica they can
 * read. `lose(region)` makes a region's bucket unreadable (its directory moves aside), as a
 * region outage does; `restore` brings it back.
 */
export interface BucketOf {
  region: string;
  /** The cluster's bucket URL in that region: what replicas name. */
  url: string;
}

export interface Replica {
  region: string;
  bucket: string;
  checksum: string;
}

export class QuorumNotReachedError extends Error {
  constructor(readonly acknowledged: number, readonly quorum: number) {
    super(`only ${acknowledged} of ${quorum} replicas were written`);
  }
}

/** Object key to file name, reversibly (listings give the keys back): other characters become ~XX. */
const fileName = (objectKey: string) => objectKey.replace(/[^A-Za-z0-9._-]/g, (c) => [...Buffer.from(c)].map((b) => `~${b.toString(16).padStart(2, '0')}`).join(''));
const objectKeyOf = (name: string) => Buffer.from(name.replace(/~([0-9a-f]{2})/g, '%$1').split('%').map((part, i) => (i === 0 ? Buffer.from(part).toString('latin1') : String.fromCharCode(parseInt(part.slice(0, 2), 16)) + part.slice(2))).join(''), 'latin1').toString('utf8');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class RegionBuckets {
  private readonly dirs = new Map<string, string>();

  constructor(
    readonly root: string,
    readonly buckets: BucketOf[],
    /** After the quorum, wait this long for the other regions' copies before committing without them. */
    private readonly straggleMs = 20,
  ) {
    for (const b of buckets) {
      const dir = path.join(root, b.region);
      mkdirSync(dir, { recursive: true });
      this.dirs.set(b.region, dir);
    }
  }

  /** Writes `body` to every region at once; resolves with the replicas that hold it once `quorum` do. */
  write(objectKey: string, body: Buffer, quorum: number): Promise<Replica[]> {
    const checksum = `sha256:${createHash('sha256').update(body).digest('hex').slice(0, 32)}`;
    const held: Replica[] = [];
    let failed = 0;
    return new Promise((resolve, reject) => {
      let settled = false;
      const finish = () => {
        if (settled) return;
        settled = true;
        resolve([...held].sort((a, b) => (a.region < b.region ? -1 : 1)));
      };
      for (const b of this.buckets) {
        writeFile(path.join(this.dirs.get(b.region)!, fileName(objectKey)), body).then(
          () => {
            held.push({ region: b.region, bucket: b.url, checksum });
            if (held.length === this.buckets.length) finish();
            else if (held.length === quorum) void sleep(this.straggleMs).then(finish);
          },
          () => {
            failed++;
            if (this.buckets.length - failed < quorum && !settled) {
              settled = true;
              reject(new QuorumNotReachedError(held.length, quorum));
            } else if (held.length + failed === this.buckets.length && held.length >= quorum) finish();
          },
        );
      }
    });
  }

  /** The bytes of a range from the first listed replica that can be read, and the regions that could not. */
  async read(replicas: readonly { region: string; bucket: string }[], objectKey: string, byteOffset: number, byteLength: number) {
    const unreadable: { region: string; bucket: string }[] = [];
    for (const r of replicas) {
      const dir = this.dirs.get(r.region);
      const own = this.buckets.find((b) => b.region === r.region)?.url === r.bucket;
      if (!dir || !own) {
        unreadable.push(r);
        continue;
      }
      try {
        const body = await readFile(path.join(dir, fileName(objectKey)));
        if (body.length < byteOffset + byteLength) throw new Error('short object');
        return { bytes: body.subarray(byteOffset, byteOffset + byteLength), region: r.region, unreadable };
      } catch {
        unreadable.push(r);
      }
    }
    return { bytes: undefined, region: undefined, unreadable };
  }

  /** The listed replicas whose object cannot be found. */
  async missing(replicas: readonly { region: string; bucket: string }[], objectKey: string) {
    const out: { region: string; bucket: string }[] = [];
    for (const r of replicas) {
      const dir = this.dirs.get(r.region);
      if (!dir || !existsSync(path.join(dir, fileName(objectKey)))) out.push(r);
    }
    return out;
  }

  /** The bucket URL of a region. */
  urlOf(region: string): string | undefined {
    return this.buckets.find((b) => b.region === region)?.url;
  }

  /** The region whose bucket has this URL. */
  regionOf(bucketUrl: string): string | undefined {
    return this.buckets.find((b) => b.url === bucketUrl)?.region;
  }

  /** The whole object in one region, or undefined when it is not there. */
  async get(region: string, objectKey: string): Promise<Buffer | undefined> {
    try {
      return await readFile(path.join(this.dirs.get(region)!, fileName(objectKey)));
    } catch {
      return undefined;
    }
  }

  /** Writes one region's copy (compaction output, re-replication). */
  async put(region: string, objectKey: string, body: Buffer): Promise<void> {
    await writeFile(path.join(this.dirs.get(region)!, fileName(objectKey)), body);
  }

  /** Deletes one region's copy; true when it was there (gone already is not an error). */
  async delete(region: string, objectKey: string): Promise<boolean> {
    try {
      await unlink(path.join(this.dirs.get(region)!, fileName(objectKey)));
      return true;
    } catch {
      return false;
    }
  }

  /** A region's objects with their last-modified times, as a bucket listing gives them. */
  async list(region: string): Promise<{ objectKey: string; lastModifiedMs: number }[]> {
    const dir = this.dirs.get(region)!;
    const out: { objectKey: string; lastModifiedMs: number }[] = [];
    for (const name of await readdir(dir).catch(() => [] as string[])) {
      const st = await stat(path.join(dir, name)).catch(() => undefined);
      if (st?.isFile()) out.push({ objectKey: objectKeyOf(name), lastModifiedMs: Math.floor(st.mtimeMs) });
    }
    return out.sort((a, b) => (a.objectKey < b.objectKey ? -1 : 1));
  }

  /** Sets an object's last-modified time (tests: an old orphan). */
  async age(region: string, objectKey: string, atMs: number): Promise<void> {
    const file = path.join(this.dirs.get(region)!, fileName(objectKey));
    await utimes(file, atMs / 1000, atMs / 1000);
  }

  /** The region's bucket becomes unreadable and unwritable. */
  lose(region: string): void {
    const dir = this.dirs.get(region)!;
    if (existsSync(dir)) renameSync(dir, `${dir}.lost`);
  }

  restore(region: string): void {
    const dir = this.dirs.get(region)!;
    if (existsSync(`${dir}.lost`)) renameSync(`${dir}.lost`, dir);
    else mkdirSync(dir, { recursive: true });
  }
}
