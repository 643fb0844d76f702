/**
 * An upload push gives up on is cancelled: the registry (Debian's docker-registry,
 * the real thing) keeps no partial upload in _uploads after a digest mismatch.
 */
import { digestFromHex } from '../src/oci/digest.js';
import { createHash } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable, addAbortSignal } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verified } from '../src/content/verify.js';
import { RegistryClient } from '../src/registry/index.js';
import { uploadBlob } from '../src/registry/upload.js';
import { startRegistry, type RunningRegistry } from './harness/registry.js';

let reg: RunningRegistry;

beforeAll(async () => {
  reg = await startRegistry();
});

afterAll(async () => {
  await reg?.stop();
});

/**
 * What the registry keeps of upload sessions for a repository: the partial data
 * (`data`) and the marker that makes a session resumable (`startedat`). A
 * cancelled session loses both; distribution 2.8 leaves only a 108-byte hash
 * state file behind, which nothing can resume.
 */
async function leftovers(repository: string): Promise<{ data: number; startedat: number }> {
  const out = { data: 0, startedat: 0 };
  let files: string[];
  try {
    files = await readdir(join(reg.dir, 'storage/docker/registry/v2/repositories', repository, '_uploads'), { recursive: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return out;
    throw err;
  }
  for (const f of files) {
    const name = f.slice(f.lastIndexOf('/') + 1);
    if (name === 'data') out.data++;
    if (name === 'startedat') out.startedat++;
  }
  return out;
}

function blobOf(size: number, seed: number): Buffer {
  const data = Buffer.alloc(size);
  for (let i = 0; i < size; i++) data[i] = (i * 13 + seed) & 0xff;
  return data;
}

describe('push cancels the uploads it abandons (item 12)', () => {
  it.each([
    ['chunked (PATCH), the last chunk in one piece', 'sec/chunked', 300_000, 150_000],
    // The mismatch shows at the stream's end, in the middle of the last PATCH body.
    ['chunked (PATCH), the last chunk in many pieces', 'sec/pieces', 300_000, 10_000],
    ['monolithic (PUT)', 'sec/mono', 3_000, 1_500],
  ])('%s: a digest mismatch leaves no partial upload in _uploads', async (_name, repository, size, piece) => {
    const good = blobOf(size, 1);
    const bad = blobOf(size, 2);
    const desc = { mediaType: 'application/octet-stream', digest: digestFromHex(createHash('sha256').update(good).digest('hex')), size };
    const client = new RegistryClient(reg.host, { upload: { monolithicLimit: 10_000, chunkSize: 64 * 1024 }, retry: { retries: 0 } });
    const pieces: Buffer[] = [];
    for (let at = 0; at < size; at += piece) pieces.push(bad.subarray(at, at + piece));
    const content = verified(Readable.from(pieces), desc, 'layer');
    const err = await uploadBlob(client, repository, desc, content).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'DIGEST_MISMATCH' });
    expect(await leftovers(repository)).toEqual({ data: 0, startedat: 0 });
  });

  it('an interrupt in the middle of a chunked upload (the copy aborts its streams) leaves no partial upload', async () => {
    const repository = 'sec/interrupted';
    const size = 300_000;
    const good = blobOf(size, 3);
    const desc = { mediaType: 'application/octet-stream', digest: digestFromHex(createHash('sha256').update(good).digest('hex')), size };
    const client = new RegistryClient(reg.host, { upload: { monolithicLimit: 10_000, chunkSize: 64 * 1024 }, retry: { retries: 0 } });
    const controller = new AbortController();
    // What Ctrl-C does through the copier: the content stream is cut after some chunks went out.
    const source = Readable.from((async function* () {
      for (let at = 0; at < size; at += 50_000) {
        if (at >= 150_000) controller.abort();
        yield good.subarray(at, at + 50_000);
        await new Promise((r) => setTimeout(r, 5));
      }
    })());
    const content = addAbortSignal(controller.signal, verified(source, desc, 'layer'));
    const err = await uploadBlob(client, repository, desc, content).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect(await leftovers(repository)).toEqual({ data: 0, startedat: 0 });
  });
});
