import { Header } from 'tar';

export type Sniffed = 'tar' | 'gzip' | 'zip' | 'xz' | 'zstd' | 'bzip2' | 'unknown';

/**
 * Tells the archive format from its first bytes, never from its name: a gzip
 * renamed `.zip` by a mail gateway or a bundle saved as `.dat` still opens.
 */
export function sniff(head: Buffer, size: number): Sniffed {
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head.length >= 4 && head[0] === 0x50 && head[1] === 0x4b && ((head[2] === 3 && head[3] === 4) || (head[2] === 5 && head[3] === 6))) return 'zip';
  if (head.length >= 6 && head.subarray(0, 6).equals(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]))) return 'xz';
  if (head.length >= 4 && head.readUInt32LE(0) === 0xfd2fb528) return 'zstd';
  if (head.length >= 3 && head.subarray(0, 3).toString('latin1') === 'BZh') return 'bzip2';
  if (head.length >= 512) {
    // ustar and GNU magic, or a valid checksum (old v7 tars have no magic).
    const magic = head.subarray(257, 263).toString('latin1');
    if (magic === 'ustar\0' || magic === 'ustar ') return 'tar';
    const h = new Header(head.subarray(0, 512));
    if (h.cksumValid) return 'tar';
    // An empty tar is nothing but zero blocks.
    if (h.nullBlock && head.every((b) => b === 0) && size % 512 === 0) return 'tar';
  }
  return 'unknown';
}
