/**
 * Tar dialect differentials: hostile tars that GNU tar (or `tar -i`) extracts
 * differently from how a line-splitting or lenient reader reads them. Each is built
 * in code, shown to be real by extracting it with GNU tar, and refused by airlock
 * with one specific error naming the offset or entry.
 */
import { gzipSync } from 'node:zlib';
import { Pax } from 'tar';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { END, extension, fileEntry, fixChecksum, paxRecord, rawHeader } from './helpers/hostile.js';
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

describe('PAX and header differentials (item 1)', () => {
  it('a PAX value holding a newline: node-tar reads "._evil0", GNU tar extracts index.json; refused', async () => {
    // GNU tar reads the records by length: path=index.json, then one comment whose
    // value holds a newline. A line-splitting reader sees a second, self-consistent
    // record "path=._evil0" inside the comment, which wins.
    const pax = paxRecord('path', 'index.json') + paxRecord('comment', `x\n${paxRecord('path', '._evil0').trimEnd()}`);
    expect(Pax.parse(pax, undefined, false).path).toBe('._evil0');
    const file = await fx.save('pax-newline.tar', Buffer.concat([body, extension('x', pax), fileEntry('._evil0', EVIL_INDEX), END]));
    expect(await gnuIndex(file)).toEqual(EVIL_INDEX);
    const err = await fx.verify(file);
    expect(err).toEqual({ code: 'ARCHIVE_INVALID', message: expect.stringMatching(new RegExp(`refused extension header at pax-newline.tar at byte ${body.length} \\(PAX record "comment" at byte \\d+ holds a newline`)) });
  });

  it('GNU.sparse.name renames the entry for GNU tar; refused', async () => {
    const pax = paxRecord('path', '._evil0') + paxRecord('GNU.sparse.name', 'index.json');
    const file = await fx.save('sparse-name.tar', Buffer.concat([body, extension('x', pax), fileEntry('._evil0', EVIL_INDEX), END]));
    expect(await gnuIndex(file)).toEqual(EVIL_INDEX);
    expect(await fx.verify(file)).toEqual({
      code: 'ARCHIVE_INVALID',
      message: expect.stringContaining(`sparse-name.tar: refused extension header at sparse-name.tar at byte ${body.length} (PAX keyword "GNU.sparse.name"`),
    });
  });

  it('a global PAX header naming path= renames later entries for GNU tar; refused', async () => {
    const file = await fx.save('global.tar', Buffer.concat([body, extension('g', paxRecord('path', 'index.json'), 'pax_global_header'), fileEntry('._evil0', EVIL_INDEX), END]));
    expect(await gnuIndex(file)).toEqual(EVIL_INDEX);
    expect(await fx.verify(file)).toEqual({
      code: 'ARCHIVE_INVALID',
      message: expect.stringContaining(`invalid tar header at global.tar at byte ${body.length} (a global PAX header`),
    });
  });

  it('unknown type flags, mixed or doubled name sources and unknown PAX keywords are refused, not skipped', async () => {
    const cases: [string, Buffer, string][] = [
      ['flag-S', Buffer.concat([body, fileEntry('._evil0', EVIL_INDEX, 'S')]), 'a GNU sparse file'],
      ['flag-V', Buffer.concat([body, fileEntry('label', '', 'V')]), 'a GNU volume label'],
      ['flag-q', Buffer.concat([body, fileEntry('._evil0', EVIL_INDEX, 'q')]), 'unknown type flag "q"'],
      ['pax-and-L', Buffer.concat([body, extension('x', paxRecord('path', '._a')), extension('L', 'index.json\0', '././@LongLink'), fileEntry('._evil0', EVIL_INDEX)]), 'PAX and GNU long-name headers mixed'],
      ['two-pax', Buffer.concat([body, extension('x', paxRecord('path', '._a')), extension('x', paxRecord('path', 'index.json')), fileEntry('._evil0', EVIL_INDEX)]), 'two extension headers of the same kind'],
      ['dup-keyword', Buffer.concat([body, extension('x', paxRecord('path', '._a') + paxRecord('path', 'index.json')), fileEntry('._evil0', EVIL_INDEX)]), 'PAX keyword "path" appears twice'],
      ['unknown-keyword', Buffer.concat([body, extension('x', paxRecord('hdrcharset', 'BINARY')), fileEntry('._evil0', EVIL_INDEX)]), 'unknown PAX keyword "hdrcharset"'],
      ['bad-length', Buffer.concat([body, extension('x', '99 path=index.json\n'), fileEntry('._evil0', EVIL_INDEX)]), 'claims 99 bytes'],
      ['dir-with-size', Buffer.concat([body, fileEntry('._d/', EVIL_INDEX, '5')]), 'is not a file but declares'],
      ['file-with-slash', Buffer.concat([body, fileEntry('._f/', EVIL_INDEX, '0')]), 'is not a directory but its name ends with "/"'],
    ];
    for (const [name, bytes, why] of cases) {
      const file = await fx.save(`${name}.tar`, Buffer.concat([bytes, END]));
      const err = await fx.verify(file);
      expect(err, name).toMatchObject({ code: 'ARCHIVE_INVALID', message: expect.stringContaining(why) });
      // Named by the offset of the header that carries the problem, at or after the bundle's own entries.
      expect(Number(/at byte (\d+)/.exec(err!.message)?.[1]), name).toBeGreaterThanOrEqual(body.length);
    }
  });

  it('a symlink under a junk name is reported, not ignored as litter', async () => {
    const link = rawHeader({ name: '._link', flag: '2' });
    link.write('index.json', 157, 'latin1');
    fixChecksum(link);
    const file = await fx.save('junk-link.tar', Buffer.concat([body, link, END]));
    expect(await fx.verify(file)).toMatchObject({ code: 'INTEGRITY', message: expect.stringContaining('"._link" is a symbolic link to "index.json", not a file') });
  });
});

describe('data after the end-of-archive marker (item 3)', () => {
  it('a second tar appended: tar -i extracts it; refused with the offset', async () => {
    const appended = Buffer.concat([fileEntry('index.json', EVIL_INDEX), END]);
    const file = await fx.save('appended.tar', Buffer.concat([genuine, appended]));
    expect(await gnuIndex(file)).toEqual(fx.genuineIndex);
    expect(await gnuIndex(file, ['--ignore-zeros'])).toEqual(EVIL_INDEX);
    expect(await fx.verify(file)).toEqual({ code: 'ARCHIVE_INVALID', message: `appended.tar: data after the end-of-archive marker, at appended.tar at byte ${genuine.length}` });
  });

  it('the same in a gzip bundle, and after extra zero blocks', async () => {
    const gz = await fx.save('appended.tgz', gzipSync(Buffer.concat([genuine, Buffer.alloc(4096), fileEntry('index.json', EVIL_INDEX), END])));
    expect(await fx.verify(gz)).toEqual({ code: 'ARCHIVE_INVALID', message: `appended.tgz: data after the end-of-archive marker, at appended.tgz at uncompressed byte ${genuine.length + 4096}` });
  });

  it('a lone zero block followed by an entry is refused; zero blocks alone are fine', async () => {
    const lone = await fx.save('lone-zero.tar', Buffer.concat([body, Buffer.alloc(512), fileEntry('index.json', EVIL_INDEX), END]));
    expect(await fx.verify(lone)).toEqual({ code: 'ARCHIVE_INVALID', message: `lone-zero.tar: data after the end-of-archive marker, at lone-zero.tar at byte ${body.length + 512}` });
    expect(await fx.verify(await fx.save('zeros.tar', Buffer.concat([genuine, Buffer.alloc(20 * 512)])))).toBeUndefined();
  });
});

describe('duplicates (item 4)', () => {
  it('a directory entry with the same path as a blob is refused at verify', async () => {
    const file = await fx.save('dir-blob.tar', Buffer.concat([body, rawHeader({ name: `${fx.blobPath}/`, flag: '5' }), END]));
    expect(await fx.verify(file)).toMatchObject({ code: 'INTEGRITY', message: expect.stringContaining(`"${fx.blobPath}" appears more than once (a file, then a directory)`) });
  });
});
