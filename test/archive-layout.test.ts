import { describe, expect, it } from 'vitest';
import { analyzeEntries, isJunk } from '../src/archive/layout.js';
import type { ArchiveEntry } from '../src/archive/types.js';

const HEX = 'ab'.repeat(32);
const file = (path: string, size = 1): ArchiveEntry => ({ path, size, type: 'file' });
const dir = (path: string): ArchiveEntry => ({ path, size: 0, type: 'directory' });
const bundle = (prefix = ''): ArchiveEntry[] =>
  ['airlock.json', 'airlock.json.sigstore.json', 'oci-layout', 'index.json', `blobs/sha256/${HEX}`].map((p) => file(prefix + p));

function layoutError(entries: ArchiveEntry[]): { code: string; message: string } {
  try {
    analyzeEntries(entries, 'b.zip');
  } catch (err) {
    return err as { code: string; message: string };
  }
  throw new Error('expected LAYOUT_INVALID');
}

describe('analyzeEntries', () => {
  it('accepts a bundle at the top', () => {
    expect(analyzeEntries(bundle())).toEqual({ root: '', junk: [], problems: [], missingIndex: false });
  });

  it('finds the layout nested one or more folders down, with directory entries as junk', () => {
    expect(analyzeEntries([dir('outer'), ...bundle('outer/')])).toEqual({ root: 'outer/', junk: ['outer'], problems: [], missingIndex: false });
    expect(analyzeEntries(bundle('a/b/c/')).root).toBe('a/b/c/');
  });

  it('lists macOS and Windows litter as junk, at any depth, never as a problem', () => {
    const junk = ['__MACOSX/outer/._oci-layout', '__MACOSX/outer/blobs/sha256/._x', 'outer/._airlock.json', 'outer/.DS_Store', 'outer/blobs/Thumbs.db', 'desktop.ini', 'outer/blobs/sha256/._' + HEX];
    const report = analyzeEntries([...bundle('outer/'), ...junk.map((p) => file(p))]);
    expect(report.root).toBe('outer/');
    expect(report.junk).toEqual(junk);
    expect(report.problems).toEqual([]);
    expect(isJunk(file('x/__MACOSX/y'))).toBe(true);
    expect(isJunk(file('x/_MACOSX'))).toBe(false);
  });

  it('names a missing index.json so the caller can rebuild it', () => {
    const report = analyzeEntries(bundle().filter((e) => e.path !== 'index.json'));
    expect(report.missingIndex).toBe(true);
    expect(report.problems).toEqual([]);
  });

  it('falls back to airlock.json, then index.json, to find a root without oci-layout, and reports it missing', () => {
    const report = analyzeEntries(bundle('x/').filter((e) => e.path !== 'x/oci-layout'));
    expect(report.root).toBe('x/');
    expect(report.problems).toEqual([{ code: 'MISSING_FILE', path: 'x/oci-layout', message: '"x/oci-layout" is missing' }]);
    const bare = analyzeEntries([file('l/index.json'), file(`l/blobs/sha256/${HEX}`)]);
    expect(bare.root).toBe('l/');
    expect(bare.problems.map((p) => p.path)).toEqual(['l/airlock.json', 'l/oci-layout']);
  });

  it('refuses more than one layout, listing them, and no layout at all', () => {
    const two = layoutError([...bundle('a/'), ...bundle('b/')]);
    expect(two.code).toBe('LAYOUT_INVALID');
    expect(two.message).toBe('b.zip holds more than one layout, at "a/", "b/"');
    const none = layoutError([file('README.md'), file('__MACOSX/oci-layout')]);
    expect(none.code).toBe('LAYOUT_INVALID');
    expect(none.message).toMatch(/no OCI layout/);
  });

  it('reports everything else out of place entry by entry', () => {
    const report = analyzeEntries([
      ...bundle('r/'),
      file('README.txt'),
      file('r/notes.txt'),
      file('r/blobs/sha256/ABCDEF'),
      file(`r/blobs/sha256/${HEX.toUpperCase()}`),
      file(`r/blobs/sha512/${HEX}${HEX}`),
      file(`r/blobs/sha256/${HEX}/x`),
      { path: 'r/link', size: 0, type: 'symlink', linkTarget: '/etc/passwd' },
      { path: 'r/hard', size: 0, type: 'hardlink', linkTarget: 'r/index.json' },
      { path: 'r/fifo', size: 0, type: 'other' },
      file('r/index.json'),
      file('r/index.json'),
    ]);
    expect(report.problems).toEqual([
      { code: 'OUTSIDE_ROOT', path: 'README.txt', message: '"README.txt" is outside the layout folder "r/"' },
      { code: 'UNEXPECTED', path: 'r/notes.txt', message: '"r/notes.txt" is not part of a bundle' },
      { code: 'BAD_BLOB_NAME', path: 'r/blobs/sha256/ABCDEF', message: expect.stringContaining('64 lowercase hex') },
      { code: 'BAD_BLOB_NAME', path: `r/blobs/sha256/${HEX.toUpperCase()}`, message: expect.any(String) },
      { code: 'BAD_BLOB_NAME', path: `r/blobs/sha512/${HEX}${HEX}`, message: expect.any(String) },
      { code: 'BAD_BLOB_NAME', path: `r/blobs/sha256/${HEX}/x`, message: expect.any(String) },
      { code: 'NOT_A_FILE', path: 'r/link', message: '"r/link" is a symbolic link to "/etc/passwd", not a file' },
      { code: 'NOT_A_FILE', path: 'r/hard', message: '"r/hard" is a hard link to "r/index.json", not a file' },
      { code: 'NOT_A_FILE', path: 'r/fifo', message: '"r/fifo" is a special file (device or FIFO), not a file' },
      { code: 'DUPLICATE', path: 'r/index.json', message: '"r/index.json" appears more than once (a file, then a file)' },
    ]);
  });

  it('accepts extra signature files beside airlock.json', () => {
    const report = analyzeEntries([...bundle(), file('airlock.json.sigstore.2.json')]);
    expect(report.problems).toEqual([]);
  });
});
