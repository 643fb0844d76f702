import { Header, Pax, type HeaderData } from 'tar';
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
  | { kind: 'end' }
  | { kind: 'invalid'; why: string }
  /** An extension header (PAX, GNU long name): read `size` bytes and pass them to `meta()`. */
  | { kind: 'meta'; size: number }
  | { kind: 'entry'; entry: RawEntry };

const META_TYPES = new Set(['ExtendedHeader', 'OldExtendedHeader', 'GlobalExtendedHeader', 'NextFileHasLongPath', 'OldGnuLongPath', 'NextFileHasLongLinkpath']);

function entryType(name: string): EntryType {
  switch (name) {
    case 'File':
    case 'OldFile':
    case 'ContiguousFile':
      return 'file';
    case 'Directory':
      return 'directory';
    case 'SymbolicLink':
      return 'symlink';
    case 'Link':
      return 'hardlink';
    default:
      return 'other';
  }
}

/**
 * Reads tar headers one block at a time, carrying PAX and GNU long-name state to
 * the entry they describe. node-tar's Header and Pax do the field decoding; this
 * only sequences them, and is shared by the seeking indexer and the stream parser
 * so both see the same entries.
 */
export class TarHeaderDecoder {
  private ex: HeaderData | undefined;
  private gex: HeaderData | undefined;
  private pending: { type: string; headerOffset: number } | undefined;
  /** Offset of the first extension header of the entry being assembled. */
  private firstOffset: number | undefined;

  header(block: Buffer, position: number): HeaderStep {
    if (this.pending) throw new Error('tar header decoder: meta() expected before the next header');
    let h: Header;
    try {
      h = new Header(block, 0, this.ex, this.gex);
    } catch (err) {
      return { kind: 'invalid', why: (err as Error).message };
    }
    if (h.nullBlock) {
      if (this.ex) return { kind: 'invalid', why: 'the archive ends after an extension header' };
      return { kind: 'end' };
    }
    if (!h.cksumValid) return { kind: 'invalid', why: 'header checksum mismatch' };
    if (this.firstOffset === undefined) this.firstOffset = position;
    const size = h.size ?? 0;
    if (META_TYPES.has(h.type)) {
      if (size > MAX_META_SIZE) return { kind: 'invalid', why: `extension header of ${size} bytes is larger than the ${MAX_META_SIZE}-byte limit` };
      this.pending = { type: h.type, headerOffset: position };
      return { kind: 'meta', size };
    }
    const type = entryType(h.type);
    // Header.decode glues the ustar prefix onto a PAX path too; the extension
    // header's path and linkpath win outright (node-tar's ReadEntry does the same).
    const path = this.ex?.path ?? h.path ?? '';
    const linkpath = this.ex?.linkpath ?? h.linkpath;
    const entry: RawEntry = {
      rawPath: path,
      type,
      // Directories carry no content whatever their size field says (node-tar does the same).
      size: type === 'directory' ? 0 : size,
      headerOffset: this.firstOffset,
      dataOffset: position + BLOCK,
    };
    if ((type === 'symlink' || type === 'hardlink') && linkpath) entry.linkTarget = linkpath;
    this.ex = undefined;
    this.firstOffset = undefined;
    if (!entry.rawPath) return { kind: 'invalid', why: 'entry without a name' };
    return { kind: 'entry', entry };
  }

  meta(body: Buffer): void {
    const pending = this.pending;
    if (!pending) throw new Error('tar header decoder: meta() without an extension header');
    this.pending = undefined;
    const text = body.toString('utf8');
    switch (pending.type) {
      case 'ExtendedHeader':
      case 'OldExtendedHeader':
        this.ex = Pax.parse(text, this.ex, false);
        break;
      case 'GlobalExtendedHeader':
        this.gex = Pax.parse(text, this.gex, true);
        // A global header applies to all later entries, not to the next one only.
        this.firstOffset = undefined;
        break;
      case 'NextFileHasLongPath':
      case 'OldGnuLongPath':
        this.ex = { ...(this.ex ?? {}), path: text.replace(/\0.*/s, '') };
        break;
      case 'NextFileHasLongLinkpath':
        this.ex = { ...(this.ex ?? {}), linkpath: text.replace(/\0.*/s, '') };
        break;
    }
  }
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
