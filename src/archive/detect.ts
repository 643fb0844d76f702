import { isTarHeader } from './tar-header.js';

export type Sniffed = 'tar' | 'gzip' | 'zip' | 'xz' | 'zstd' | 'bzip2' | 'unknown' | { both: 'gzip' | 'zip' };

/**
 * Tells the archive format from its first bytes, never from its name: a gzip
 * renamed `.zip` by a mail gateway or a bundle saved as `.dat` still opens.
 */
export function sniff(head: Buffer, size: number): Sniffed {
  // GNU tar takes a first block with a valid header checksum for a tar whatever
  // its first bytes say; a file that is a tar to it and a zip or gzip to us is
  // a polyglot, refused (a tar whose first entry is named "PK\x03\x04…").
  const tar = isTarHeader(head);
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return tar ? { both: 'gzip' } : 'gzip';
  if (head.length >= 4 && head[0] === 0x50 && head[1] === 0x4b && ((head[2] === 3 && head[3] === 4) || (head[2] === 5 && head[3] === 6))) return tar ? { both: 'zip' } : 'zip';
  if (head.length >= 6 && head.subarray(0, 6).equals(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]))) return 'xz';
  if (head.length >= 4 && head.readUInt32LE(0) === 0xfd2fb528) return 'zstd';
  if (head.length >= 3 && head.subarray(0, 3).toString('latin1') === 'BZh') return 'bzip2';
  if (head.length >= 512) {
    // ustar and GNU magic: the header decoder then says what is wrong, if anything.
    const magic = head.subarray(257, 263).toString('latin1');
    if (magic === 'ustar\0' || magic === 'ustar ') return 'tar';
    if (tar) return 'tar';
    // An empty tar is nothing but zero blocks.
    if (head.every((b) => b === 0) && size % 512 === 0) return 'tar';
  }
  return 'unknown';
}
