/**
 * Bounds on every entry of a compressed bundle, skipped junk included: declared
 * sizes are judged first, so a bomb is refused in milliseconds, never inflated.
 * Built in memory without writing gigabytes: multi-member gzip of zeros, and raw
 * deflate made of one self-contained block repeated.
 */
import { deflateRawSync, constants as zlibConstants, crc32, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSignedBundle } from '../src/bundle/read.js';
import { verifyContents } from '../src/bundle/verify.js';
import { errorOf, forgeZip, type ForgeZipEntry } from './helpers/archives.js';
import { END, rawHeader } from './helpers/hostile.js';
import { signedFixture, type SignedFixture } from './helpers/signed-bundle.js';

let fx: SignedFixture;
let body: Buffer;
let genuine: Buffer;

beforeAll(async () => {
  fx = await signedFixture();
  ({ body, genuine } = fx);
  expect(await fx.verify(fx.path)).toBeUndefined();
});

afterAll(async () => {
  await fx.cleanup();
});

describe('bounds on every entry, skipped ones included (item 10)', () => {
  it('a gzip bundle holding a 20 GiB junk entry is refused in seconds, before it is inflated', async () => {
    // Multi-member gzip: the bundle and the junk header, then 20 GiB of zeros as
    // 20 480 members of 1 MiB each (1 KB apiece), then the end marker.
    const MiB = 1024 * 1024;
    const zerosMember = gzipSync(Buffer.alloc(MiB), { level: 9 });
    const parts = [gzipSync(Buffer.concat([body, rawHeader({ name: '._junk', size: 20 * 1024 * MiB, base256: true })]))];
    for (let i = 0; i < 20 * 1024; i++) parts.push(zerosMember);
    parts.push(gzipSync(END));
    const file = await fx.save('junk20g.tgz', Buffer.concat(parts));
    const started = Date.now();
    const err = await fx.verify(file);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(err).toMatchObject({ code: 'SIZE_LIMIT', message: expect.stringContaining(`junk20g.tgz: entry "._junk" declares ${20 * 1024 * MiB} bytes`) });
  });

  it('a zip entry that inflates to 8 GiB while declaring its signed size is stopped at the declared size, in seconds', async () => {
        // Raw deflate of 8 GiB of zeros without compressing 8 GiB: one full-flushed
    // (self-contained, byte-aligned) 1 MiB block repeated, then a final empty block.
    const block = deflateRawSync(Buffer.alloc(1024 * 1024), { level: 9, finishFlush: zlibConstants.Z_FULL_FLUSH });
    const data = Buffer.concat([...Array.from({ length: 8192 }, () => block), deflateRawSync(Buffer.alloc(0))]);
    const zipEntries: ForgeZipEntry[] = fx.zipEntries.map((e) => (e.name === fx.blobPath ? { name: e.name, deflated: { data, crc: crc32(fx.blobData), size: fx.blobData.length } } : e));
    const file = await fx.save('liar.zip', forgeZip(zipEntries));
    const started = Date.now();
    const err = await fx.verify(file);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(err).toMatchObject({ code: 'ARCHIVE_INVALID', message: expect.stringContaining(`liar.zip entry "${fx.blobPath}"`) });
  });

  it('a junk zip entry declaring 4 GiB from 4 MB is refused at listing', async () => {
        const zipEntries: ForgeZipEntry[] = [...fx.zipEntries];
    const block = deflateRawSync(Buffer.alloc(1024 * 1024), { level: 9, finishFlush: zlibConstants.Z_FULL_FLUSH });
    const data = Buffer.concat([...Array.from({ length: 4095 }, () => block), deflateRawSync(Buffer.alloc(0))]);
    zipEntries.push({ name: '__MACOSX/._bomb', deflated: { data, crc: 0, size: 4095 * 1024 * 1024 } });
    const file = await fx.save('junkbomb.zip', forgeZip(zipEntries));
    const started = Date.now();
    expect(await fx.verify(file)).toMatchObject({ code: 'SIZE_LIMIT', message: expect.stringContaining('junkbomb.zip: entry "__MACOSX/._bomb" declares: 4293918720 bytes') });
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('a zip entry whose declared size differs from the signed one is refused before it is read', async () => {
    const big = Buffer.alloc(20 * 1024 * 1024, 7);
    const zipEntries: ForgeZipEntry[] = fx.zipEntries.map((e) => (e.name === fx.blobPath ? { name: e.name, data: big } : e));
    const file = await fx.save('resized.zip', forgeZip(zipEntries));
    const bundle = await openSignedBundle(file);
    try {
      expect(await errorOf(verifyContents(bundle))).toMatchObject({
        code: 'INTEGRITY',
        message: expect.stringContaining(`${fx.blobPath} is ${big.length} bytes, the signed manifest says ${fx.blobData.length}`),
      });
      // The 20 MiB entry was never read: only headers, the central directory and the small entries.
      expect(bundle.reader.bytesRead()).toBeLessThan(1024 * 1024);
    } finally {
      await bundle.close();
    }
  });
});
