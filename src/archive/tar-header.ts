import { Header, Pax, type HeaderData } from 'tar';
import { parsePax, type PaxRecords } from './pax.js';
import type { EntryType } from './types.js';

export const BLOCK = 512;

/** Bytes of padding after `size` bytes of content. */
export function padding(size: number): number {
  return (BLOCK - (size % BLOCK)) % BLOCK;
}

/** Extension bodies larger than this are refused (node-tar's own limit is the same). */
export const MAX_META_SIZE = 1024 * 1024;

/** A file entry as the header says, before its path is made safe. */
export interface RawEntry {
  rawPath: string;
  type: EntryType;
  size: number;
  linkTarget?: string;
  headerOffset: number;
  dataOffset: number;
}

export type HeaderStep =
  /** The first of the two zero blocks: the caller checks that only zeros follow (see END_HINT). */
  | { kind: 'end' }
  | { kind: 'invalid'; why: string }
  /** An extension header (PAX, GNU long name): read `size` bytes and pass them to `meta()`. */
  | { kind: 'meta'; size: number }
  | { kind: 'entry'; entry: RawEntry };

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** A NUL-terminated header field as GNU tar reads it (C string semantics: up to the first NUL). */
function cString(block: Buffer, offset: number, length: number): Buffer {
  const field = block.subarray(offset, offset + length);
  const nul = field.indexOf(0);
  return nul < 0 ? field : field.subarray(0, nul);
}

/**
 * A numeric field: octal digits after optional spaces, then only spaces or NULs;
 * or base-256 (GNU, for sizes of 8 GiB and more). Anything looser is refused:
 * GNU tar and node-tar disagree on where a sloppy number ends.
 */
export function numericField(block: Buffer, offset: number, length: number): number | undefined {
  const field = block.subarray(offset, offset + length);
  if (field[0] === 0x80) {
    let n = 0;
    for (let i = 1; i < field.length; i++) n = n * 256 + field[i]!;
    return Number.isSafeInteger(n) ? n : undefined;
  }
  const m = /^ *([0-7]+)[ \0]*$/.exec(field.toString('latin1'));
  if (!m) return undefined;
  const n = parseInt(m[1]!, 8);
  return Number.isSafeInteger(n) ? n : undefined;
}

/** The unsigned byte sum with the checksum field counted as spaces, as POSIX defines it. */
function checksumOf(block: Buffer): number {
  let sum = 8 * 0x20;
  for (let i = 0; i < BLOCK; i++) if (i < 148 || i >= 156) sum += block[i]!;
  return sum;
}

/** Whether a block is a tar header by its checksum and magic, as GNU tar's own format detection does. */
export function isTarHeader(block: Buffer): boolean {
  if (block.length < BLOCK) return false;
  const stored = numericField(block, 148, 8);
  return stored !== undefined && stored === checksumOf(block) && magicOf(block) !== undefined;
}

function magicOf(block: Buffer): 'ustar' | 'gnu' | undefined {
  const magic = block.subarray(257, 265).toString('latin1');
  if (magic === 'ustar\x0000') return 'ustar';
  if (magic === 'ustar  \0') return 'gnu';
  return undefined;
}

function decodeName(bytes: Buffer): string | undefined {
  try {
    return utf8.decode(bytes);
  } catch {
    return undefined;
  }
}

/** Typeflags airlock understands, and what each is; everything else is refused. */
function entryType(flag: string): EntryType | undefined {
  switch (flag) {
    case '0':
    case '\0':
    case '7': // contiguous file: GNU tar extracts it as a regular file
      return 'file';
    case '5':
      return 'directory';
    case '2':
      return 'symlink';
    case '1':
      return 'hardlink';
    case '3':
    case '4':
    case '6':
      return 'other';
    default:
      return undefined;
  }
}

function describeFlag(flag: string): string {
  const known: Record<string, string> = {
    g: 'a global PAX header (it would rename every later entry for GNU tar)',
    X: 'an old Solaris extended header',
    S: 'a GNU sparse file',
    M: 'a GNU multi-volume continuation',
    V: 'a GNU volume label',
    N: 'a GNU old long-name entry',
    D: 'a GNU dump directory',
  };
  const code = flag.charCodeAt(0);
  return known[flag] ?? `unknown type flag ${code >= 0x21 && code < 0x7f ? JSON.stringify(flag) : `0x${code.toString(16)}`}`;
}

interface Pending {
  kind: 'pax' | 'longname' | 'longlink';
}

/**
 * Reads tar headers one block at a time, carrying PAX and GNU long-name state to
 * the entry they describe, with the rules GNU tar follows, and refusing anything
 * the two could read differently: global headers, sparse files, unknown types,
 * several or mixed name sources, sloppy numbers, names that are not UTF-8. Shared
 * by the seeking indexer and the stream parser so both see the same entries.
 */
export class TarHeaderDecoder {
  private pax: PaxRecords | undefined;
  private longName: string | undefined;
  private longLink: string | undefined;
  private pending: Pending | undefined;
  /** Offset of the first extension header of the entry being assembled. */
  private firstOffset: number | undefined;

  private get extended(): boolean {
    return this.pax !== undefined || this.longName !== undefined || this.longLink !== undefined;
  }

  header(block: Buffer, position: number): HeaderStep {
    if (this.pending) throw new Error('tar header decoder: meta() expected before the next header');
    if (block.every((b) => b === 0)) {
      if (this.extended) return { kind: 'invalid', why: 'the archive ends after an extension header' };
      return { kind: 'end' };
    }
    const stored = numericField(block, 148, 8);
    const sum = checksumOf(block);
    // GNU tar takes any block whose sum is that of spaces alone for a zero block,
    // whatever its checksum field says: one more block the two would read apart.
    if (sum === 8 * 0x20) return { kind: 'invalid', why: 'a zero block with a non-zero checksum field' };
    if (stored === undefined || stored !== sum) return { kind: 'invalid', why: 'header checksum mismatch' };
    const magic = magicOf(block);
    if (magic === undefined) return { kind: 'invalid', why: 'not a ustar or GNU tar header (old v7 headers are not read)' };
    const flag = String.fromCharCode(block[156]!);
    const size = numericField(block, 124, 12);
    if (size === undefined) return { kind: 'invalid', why: 'the size field is not a number' };
    if (this.firstOffset === undefined) this.firstOffset = position;

    if (flag === 'x' || flag === 'L' || flag === 'K') {
      const kind = flag === 'x' ? 'pax' : flag === 'L' ? 'longname' : 'longlink';
      const twice = kind === 'pax' ? this.pax !== undefined : kind === 'longname' ? this.longName !== undefined : this.longLink !== undefined;
      if (twice) return { kind: 'invalid', why: 'two extension headers of the same kind for one entry' };
      if (kind === 'pax' ? this.longName !== undefined || this.longLink !== undefined : this.pax !== undefined) {
        return { kind: 'invalid', why: 'PAX and GNU long-name headers mixed for one entry' };
      }
      if (size > MAX_META_SIZE) return { kind: 'invalid', why: `extension header of ${size} bytes is larger than the ${MAX_META_SIZE}-byte limit` };
      this.pending = { kind };
      return { kind: 'meta', size };
    }
    const type = entryType(flag);
    if (type === undefined) return { kind: 'invalid', why: `${describeFlag(flag)}, which airlock does not read` };

    // The name: GNU long name, else PAX path, else ustar prefix/name (prefix only
    // with POSIX magic: in GNU headers those bytes hold times).
    let path: string | undefined;
    if (this.longName !== undefined) path = this.longName;
    else if (this.pax?.path !== undefined) path = this.pax.path;
    else {
      const name = cString(block, 0, 100);
      const prefix = magic === 'ustar' ? cString(block, 345, 155) : Buffer.alloc(0);
      path = decodeName(prefix.length > 0 ? Buffer.concat([prefix, Buffer.from('/'), name]) : name);
      if (path === undefined) return { kind: 'invalid', why: 'the entry name is not valid UTF-8' };
    }
    let linkpath: string | undefined;
    if (this.longLink !== undefined) linkpath = this.longLink;
    else if (this.pax?.linkpath !== undefined) linkpath = this.pax.linkpath;
    else {
      linkpath = decodeName(cString(block, 157, 100));
      if (linkpath === undefined) return { kind: 'invalid', why: 'the link target is not valid UTF-8' };
    }
    const entrySize = this.pax?.size ?? size;
    const headerOffset = this.firstOffset ?? position;
    this.pax = undefined;
    this.longName = undefined;
    this.longLink = undefined;
    this.firstOffset = undefined;

    if (!path) return { kind: 'invalid', why: 'entry without a name' };
    const shown = JSON.stringify(path);
    // GNU tar skips no content after a directory header, node-tar skips what the size says: refuse both readings.
    if (type !== 'file' && entrySize !== 0) return { kind: 'invalid', why: `entry ${shown} is not a file but declares ${entrySize} bytes of content` };
    // GNU tar extracts a regular entry whose name ends in '/' as a directory.
    if (type !== 'directory' && path.endsWith('/')) return { kind: 'invalid', why: `entry ${shown} is not a directory but its name ends with "/"` };
    if (type !== 'symlink' && type !== 'hardlink' && linkpath !== '') return { kind: 'invalid', why: `entry ${shown} is not a link but names a link target` };
    const entry: RawEntry = { rawPath: path, type, size: entrySize, headerOffset, dataOffset: position + BLOCK };
    if (type === 'symlink' || type === 'hardlink') entry.linkTarget = linkpath;
    return { kind: 'entry', entry };
  }

  /** The body of the extension header header() announced; returns why it is refused, if it is. */
  meta(body: Buffer): string | undefined {
    const pending = this.pending;
    if (!pending) throw new Error('tar header decoder: meta() without an extension header');
    this.pending = undefined;
    if (pending.kind === 'pax') {
      const records = parsePax(body);
      if (typeof records === 'string') return records;
      this.pax = records;
      return undefined;
    }
    // GNU tar reads a long name as a C string: up to the first NUL.
    const nul = body.indexOf(0);
    const text = decodeName(nul < 0 ? body : body.subarray(0, nul));
    if (text === undefined) return 'a GNU long name that is not valid UTF-8';
    if (text === '') return 'an empty GNU long name';
    if (pending.kind === 'longname') this.longName = text;
    else this.longLink = text;
    return undefined;
  }
}

/** Where the first byte that is not zero is in `bytes`, or -1. */
export function firstNonZero(bytes: Buffer): number {
  for (let i = 0; i < bytes.length; i++) if (bytes[i] !== 0) return i;
  return -1;
}

/** The largest size an octal ustar field holds; above it the size goes in a PAX record. */
const MAX_OCTAL_SIZE = 0o77777777777;

/**
 * The header block(s) of a regular file as airlock writes it: ustar, mode 0644,
 * uid/gid 0, empty user and group names, the given mtime; a PAX header in front
 * only when the path (over 100 bytes without a clean prefix split, or not ASCII)
 * or the size (8 GiB and over) does not fit ustar.
 */
export function fileHeader(path: string, size: number, mtime: Date): Buffer {
  const fields: HeaderData = { path, size, mode: 0o644, uid: 0, gid: 0, uname: '', gname: '', mtime, type: 'File', linkpath: '', devmaj: 0, devmin: 0 };
  const main = new Header(fields);
  const needPax = main.encode();
  if (!needPax) return main.block!;
  const paxFields: HeaderData = { path };
  if (size > MAX_OCTAL_SIZE) paxFields.size = size;
  const body = Buffer.from(new Pax(paxFields).encodeBody(), 'utf8');
  // The PAX header block itself is built like the file's, so it is as deterministic.
  const paxHeader = new Header({
    ...fields,
    // ASCII only, so this name never needs an extension header of its own.
    path: `PaxHeader/${path.slice(path.lastIndexOf('/') + 1)}`.replace(/[^\x20-\x7e]/g, '_').slice(0, 99),
    size: body.length,
    type: 'ExtendedHeader',
  });
  paxHeader.encode();
  return Buffer.concat([paxHeader.block!, body, Buffer.alloc(padding(body.length)), main.block!]);
}
