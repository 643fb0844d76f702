import type { Readable } from 'node:stream';

export type EntryType = 'file' | 'directory' | 'symlink' | 'hardlink' | 'other';

/** One entry of a bundle archive or folder, its path already made safe and relative. */
export interface ArchiveEntry {
  /** Normalized, '/'-separated, relative; '' is the archive root (a `./` directory entry). */
  path: string;
  /** Bytes of content (for zip the size its header declares; readers count what is actually produced). */
  size: number;
  type: EntryType;
  /** Target of a symlink or hardlink, as written in the archive (never followed). */
  linkTarget?: string;
  /** Tar only: byte offset of the entry's content in the (virtual, for split parts) file. */
  offset?: number;
  /** Tar only: byte offset of the entry's first header block (its PAX header when it has one). */
  headerOffset?: number;
}

export interface SequentialEntry {
  entry: ArchiveEntry;
  /** The entry's content; empty for anything but a file. Drain it or leave it: the next step skips the rest. */
  stream: Readable;
}

/** The container format, found by content. Split parts are a transport detail: see `parts`. */
export type BundleKind = 'folder' | 'tar' | 'gzip' | 'zip';

export interface BundleReader {
  readonly kind: BundleKind;
  /** Names the bundle in messages: the file, the folder, or `bundle.tar.000…002`. */
  readonly name: string;
  /** The files read: one, several for split parts, the folder itself for a folder. */
  readonly parts: readonly string[];
  /** Whether open() is cheap (tar, split, zip, folder) or must decompress from the start (gzip). */
  readonly randomAccess: boolean;
  /** Whether content is compressed in the archive (zip, gzip): the ratio limit applies. */
  readonly compressed: boolean;
  /** Every entry in archive order. Cached after the first call. */
  entries(): Promise<ArchiveEntry[]>;
  /**
   * The content of one file entry, by its path as entries() lists it. ARCHIVE_INVALID
   * for a missing or doubled path, PATH_UNSAFE for a link or special file.
   */
  open(path: string): Promise<Readable>;
  /** Every entry in archive order, reading the archive once. */
  sequential(): AsyncIterable<SequentialEntry>;
  /** Bytes read from disk so far (compressed bytes for zip and gzip): for ratio limits and tests. */
  bytesRead(): number;
  close(): Promise<void>;
}
