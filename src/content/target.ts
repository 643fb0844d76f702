import type { Readable } from 'node:stream';
import type { Descriptor } from '../oci/schemas.js';

/**
 * Where content is read from. A registry repository, an OCI layout folder, a bundle
 * tarball read in place, a zip: each is a target. References are target-specific
 * (a tag in a registry repository, a `ref.name` annotation in a layout).
 */
export interface SourceTarget {
  /** Names the target in messages: `127.0.0.1:5000/library/nginx`, `oci:/tmp/layout`. */
  readonly name: string;
  /** Resolves a tag, name or digest to the descriptor of the root manifest. Digests come from bytes held. */
  resolve(reference: string): Promise<Descriptor>;
  /**
   * Streams a blob or manifest. The stream is NOT verified here: the copy wraps it in
   * the one verifying reader (content/verify.ts) so every byte is checked in one place.
   */
  fetch(desc: Descriptor, options?: FetchOptions): Promise<Readable>;
  /** Whether fetch() honours `offset` (a registry, with Range requests). */
  readonly fetchesFrom?: boolean;
}

export interface FetchOptions {
  /** Start at this byte of a blob: a destination kept the bytes before it from an earlier run. */
  offset?: number;
}

/** The first bytes of a blob a destination kept from an interrupted earlier run. */
export interface KeptPart {
  bytes: number;
  /** Those bytes, to be hashed again: the verifier sees every byte of the blob. */
  open(): Promise<Readable>;
}

export interface PushContentOptions {
  /**
   * A fresh, verified stream of the same content: lets a destination whose upload was
   * cut after bytes were sent start over instead of failing (a stream cannot rewind).
   */
  reopen?: () => Promise<Readable>;
  /**
   * Bytes of this blob written out so far, called by destinations that say
   * `reportsProgress`: those may read ahead of what they send (a registry holding a
   * chunk whole before its PATCH), so a display counts what they report instead.
   */
  onProgress?: (bytes: number) => void;
  /** The destination holds the first `resumeAt` bytes already (its partial()): it writes only the rest. */
  resumeAt?: number;
}

/** Where content is written to. */
export interface DestinationTarget {
  readonly name: string;
  /** Whether push() calls `onProgress` with the bytes it has sent (see PushContentOptions). */
  readonly reportsProgress?: boolean;
  /** What it kept of a blob whose earlier push was cut off (a cache folder), if anything. */
  partial?(desc: Descriptor): Promise<KeptPart | undefined>;
  /** Whether the content is present (manifests by digest, blobs by digest). */
  exists(desc: Descriptor): Promise<boolean>;
  /**
   * Stores content. `content` is already wrapped in a verifier: the destination must
   * commit only after the stream ends without error (temp file then rename, upload then PUT).
   */
  push(desc: Descriptor, content: Readable, options?: PushContentOptions): Promise<void>;
  /** Points a reference (tag, layout ref.name) at a manifest that is already present. */
  tag(desc: Descriptor, reference: string): Promise<void>;
  /**
   * Optional: makes a blob present without sending bytes (cross-repository mount).
   * Returns false when the registry declined, and the copy then uploads.
   */
  mount?(desc: Descriptor): Promise<boolean>;
}

export type Target = SourceTarget & DestinationTarget;
