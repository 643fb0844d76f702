/**
 * Polyglots: one file that is a tar to GNU tar and a zip (or gzip) to another
 * reader. Refused whenever the form is not unambiguous.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { forgeZip } from './helpers/archives.js';
import { END, fileEntry, rawHeader } from './helpers/hostile.js';
import { EVIL_INDEX, gnuIndex, signedFixture, type SignedFixture } from './helpers/signed-bundle.js';

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

describe('polyglots (item 2)', () => {
  it('a tar whose first entry is named PK\\x03\\x04, with the genuine zip appended: GNU tar extracts the tar; refused', async () => {
        const attackerTar = Buffer.concat([
      fileEntry('PK\x03\x04', 'x'),
      fileEntry('oci-layout', '{"imageLayoutVersion":"1.0.0"}'),
      fileEntry('index.json', EVIL_INDEX),
      END,
    ]);
    const zipEntries = fx.zipEntries;
    const file = await fx.save('polyglot.zip', Buffer.concat([attackerTar, forgeZip(zipEntries, { base: attackerTar.length })]));
    // The genuine zip alone verifies; the joined file is a tar to GNU tar.
    expect(await fx.verify(await fx.save('genuine.zip', forgeZip(zipEntries)))).toBeUndefined();
    expect(await gnuIndex(file)).toEqual(EVIL_INDEX);
    expect(await fx.verify(file)).toEqual({
      code: 'ARCHIVE_INVALID',
      message: 'polyglot.zip parses both as a tar (a valid tar header at byte 0) and as a zip',
    });
  });

  it('a zip whose first entry does not start at byte 0 is refused, naming the offset', async () => {
        const zipEntries = fx.zipEntries;
    // "PK\3\4" first, so the file sniffs as a zip, then bytes no entry accounts for.
    const junk = Buffer.concat([Buffer.from('PK\x03\x04'), Buffer.alloc(1020, 0x41)]);
    const file = await fx.save('prefixed.zip', Buffer.concat([junk, forgeZip(zipEntries, { base: junk.length })]));
    expect(await fx.verify(file)).toEqual({
      code: 'ARCHIVE_INVALID',
      message: "prefixed.zip: the zip's first entry starts at byte 1024, not at byte 0; 1024 bytes before it belong to no entry",
    });
  });

  it('a gzip whose first block is also a valid tar header is refused', async () => {
    const head = rawHeader({ name: Buffer.from([0x1f, 0x8b, 0x08, 0x00]) });
    const file = await fx.save('gz-polyglot.tgz', Buffer.concat([head, END]));
    expect(await fx.verify(file)).toEqual({ code: 'ARCHIVE_INVALID', message: 'gz-polyglot.tgz parses both as a tar (a valid tar header at byte 0) and as a gzip' });
  });

  it('a zip whose local header names another file than its central directory is refused', async () => {
    // Streaming unzippers read local headers: this one would extract "._dex.json", then nothing for index.json.
    const zip = forgeZip(fx.zipEntries);
    let at = zip.indexOf('index.json');
    while (at >= 0 && !(at >= 30 && zip.readUInt32LE(at - 30) === 0x04034b50)) at = zip.indexOf('index.json', at + 1);
    expect(at).toBeGreaterThan(0);
    zip.write('._dex.json', at, 'latin1');
    const file = await fx.save('local-name.zip', zip);
    expect(await fx.verify(file)).toEqual({
      code: 'ARCHIVE_INVALID',
      message: `local-name.zip: entry "index.json" is named "._dex.json" in its local header at byte ${at - 30}`,
    });
  });
});
