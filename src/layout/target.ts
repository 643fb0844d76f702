import { mkdir, open, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import type { Digest } from '../oci/digest.js';
import { AirlockError, messageOf } from '../errors.js';
import type { KeptPart, PushContentOptions, Target } from '../content/target.js';
import { MANIFEST_SIZE_LIMIT, readVerified } from '../content/verify.js';
import { shortDigest } from '../content/digest.js';
import { MediaType, isManifestType } from '../oci/media-types.js';
import { LayoutFileSchema, type Descriptor, type Index } from '../oci/schemas.js';
import { writeFileAtomic, writeStreamAtomic } from './atomic.js';
import { emptyIndex, indexEntry, readIndex, refName, serializeIndex } from './index-json.js';
import { BLOBS_DIR, INDEX_FILE, LAYOUT_FILE, SHA256_DIR, TEMP_PREFIX, blobPath, isSha256Digest } from './paths.js';
import { writeStreamResumable } from './resumable.js';

export interface OpenLayoutOptions {
  /** Create the folder, `oci-layout` and an empty `index.json` when they are missing. */
  create?: boolean;
  /**
   * Keep what an interrupted blob write got (a cache folder): the next copy of that
   * blob fetches only the rest. Off by default: elsewhere a cut write leaves nothing.
   */
  keepPartial?: boolean;
}

const LAYOUT_TEXT = JSON.stringify({ imageLayoutVersion: '1.0.0' });

function notFound(what: string, hint: string, cause?: unknown): AirlockError {
  return new AirlockError('NOT_FOUND', what, { hint, cause });
}

/** An OCI image layout folder, readable and writable as a copy target. */
export class LayoutTarget implements Target {
  readonly name: string;
  /** Serializes index.json updates inside this process: each flush reads, edits, renames. */
  private indexQueue: Promise<void> = Promise.resolve();
  private pendingEdits: { edit: IndexEdit; resolve: () => void; reject: (err: unknown) => void }[] = [];
  private flushQueued = false;
  /** blobs/sha256 is made on the first push, not on open: a source layout may be read-only. */
  private blobsDirReady: Promise<unknown> | undefined;

  constructor(
    readonly dir: string,
    private readonly keepPartial = false,
  ) {
    this.name = `oci:${dir}`;
  }

  /** Where an interrupted write of a blob is kept (a temp name: validation reports it as such). */
  private partialPath(digest: string): string {
    return join(this.dir, BLOBS_DIR, SHA256_DIR, `${TEMP_PREFIX}partial-${digest.slice('sha256:'.length)}`);
  }

  async partial(desc: Descriptor): Promise<KeptPart | undefined> {
    if (!this.keepPartial || !isSha256Digest(desc.digest)) return undefined;
    const path = this.partialPath(desc.digest);
    const size = await stat(path).then((s) => (s.isFile() ? s.size : 0), () => 0);
    if (size <= 0 || size >= desc.size) return undefined;
    return { bytes: size, open: async () => (await open(path, 'r')).createReadStream({ end: size - 1 }) };
  }

  blobPath(digest: string): string {
    return blobPath(this.dir, digest);
  }

  async resolve(reference: string): Promise<Descriptor> {
    const index = await readIndex(this.dir);
    if (isSha256Digest(reference)) return this.resolveDigest(reference, index);
    const entry = index.manifests.find((m) => refName(m) === reference);
    if (entry === undefined) {
      const names = index.manifests.map(refName).filter((n): n is string => n !== undefined);
      const shown = names.slice(0, 10).join(', ') + (names.length > 10 ? `, … (${names.length} in all)` : '');
      throw notFound(
        `no image named "${reference}" in layout ${this.dir}` + (names.length > 0 ? `; it has: ${shown}` : '; its index.json names nothing'),
        'use the full normalized reference as packed, e.g. docker.io/library/nginx:1.27, or a sha256 digest',
      );
    }
    return rootDescriptor(entry);
  }

  /** A digest reference: prefer the index entry (it carries the media type), else read the blob. */
  private async resolveDigest(digest: Digest, index: Index): Promise<Descriptor> {
    const path = this.blobPath(digest);
    let size: number;
    try {
      size = (await stat(path)).size;
    } catch (cause) {
      throw notFound(`manifest ${digest} is not in layout ${this.dir}`, 'check the digest, or copy the image into the layout first', cause);
    }
    const entry = index.manifests.find((m) => m.digest === digest);
    if (entry !== undefined) return rootDescriptor(entry);
    if (size > MANIFEST_SIZE_LIMIT) {
      throw new AirlockError('SIZE_LIMIT', `blob ${digest} in layout ${this.dir} is ${size} bytes, too large for a manifest`, {
        hint: 'the digest names a layer, not a manifest; give the digest of an image manifest or index',
      });
    }
    const bytes = await readVerified(await this.fetch({ mediaType: MediaType.OciManifest, digest, size }), { digest, size }, `blob ${digest} in ${this.name}`);
    let mediaType: unknown;
    let doc: Record<string, unknown> = {};
    try {
      doc = JSON.parse(bytes.toString('utf8')) as Record<string, unknown>;
      mediaType = doc.mediaType;
    } catch {
      mediaType = undefined;
    }
    if (typeof mediaType !== 'string') {
      // OCI allows a manifest without mediaType; tell an index from an image by its shape.
      if (Array.isArray(doc.manifests)) mediaType = MediaType.OciIndex;
      else if (typeof doc.config === 'object' && doc.config !== null) mediaType = MediaType.OciManifest;
    }
    if (typeof mediaType !== 'string' || !isManifestType(mediaType)) {
      throw new AirlockError('MANIFEST_INVALID', `blob ${digest} in layout ${this.dir} is not an image manifest or index`, {
        hint: 'give the digest of an image manifest or index, not of a layer or config',
      });
    }
    return { mediaType, digest, size };
  }

  async fetch(desc: Descriptor): Promise<Readable> {
    const path = this.blobPath(desc.digest);
    try {
      // Opening first turns a missing file into a rejected promise instead of a stream error.
      const handle = await open(path, 'r');
      return handle.createReadStream();
    } catch (cause) {
      if ((cause as NodeJS.ErrnoException).code === 'ENOENT') {
        throw notFound(`blob ${desc.digest} is missing from layout ${this.dir}`, 'the layout is incomplete; copy or extract it again', cause);
      }
      throw new AirlockError('IO', `cannot read blob ${desc.digest} in layout ${this.dir}: ${messageOf(cause)}`, { cause });
    }
  }

  async exists(desc: Descriptor): Promise<boolean> {
    const path = this.blobPath(desc.digest);
    try {
      const info = await stat(path);
      return info.isFile() && info.size === desc.size;
    } catch (cause) {
      if ((cause as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw new AirlockError('IO', `cannot check blob ${desc.digest} in layout ${this.dir}: ${messageOf(cause)}`, { cause });
    }
  }

  async push(desc: Descriptor, content: Readable, options: PushContentOptions = {}): Promise<void> {
    const final = this.blobPath(desc.digest);
    if (await this.exists(desc)) {
      // Already committed by an earlier run (or a concurrent push of the same digest).
      content.destroy();
      return;
    }
    try {
      this.blobsDirReady ??= mkdir(join(this.dir, BLOBS_DIR, SHA256_DIR), { recursive: true }).catch((err: unknown) => {
        this.blobsDirReady = undefined;
        throw err;
      });
      await this.blobsDirReady;
      if (this.keepPartial && isSha256Digest(desc.digest)) await writeStreamResumable(final, this.partialPath(desc.digest), content, options.resumeAt ?? 0);
      else await writeStreamAtomic(final, content, desc.digest.slice('sha256:'.length));
    } catch (cause) {
      if (cause instanceof AirlockError) throw cause;
      throw new AirlockError('IO', `cannot write blob ${desc.digest} to layout ${this.dir}: ${messageOf(cause)}`, {
        cause,
        hint: 'check free space and permissions of the layout folder, then run the command again',
      });
    }
  }

  /** Adds or replaces the index.json entry named `name`. */
  async tag(desc: Descriptor, name: string): Promise<void> {
    if (!(await this.exists(desc))) {
      throw notFound(`cannot name ${shortDigest(desc.digest)}… "${name}" in layout ${this.dir}: the manifest is not there`, 'copy the image before naming it');
    }
    await this.updateIndex((entries) => [...entries.filter((m) => refName(m) !== name), indexEntry(desc, name)]);
  }

  /** Adds an unnamed entry so content stays reachable (and survives garbage collection). */
  async addDescriptor(desc: Descriptor): Promise<void> {
    if (!(await this.exists(desc))) {
      throw notFound(`cannot add ${desc.digest} to the index of layout ${this.dir}: the blob is not there`, 'copy the content before adding it');
    }
    await this.updateIndex((entries) =>
      entries.some((m) => m.digest === desc.digest && refName(m) === undefined) ? entries : [...entries, indexEntry(desc)],
    );
  }

  /** The entries of index.json, as on disk. */
  async list(): Promise<Descriptor[]> {
    await this.indexQueue;
    return (await readIndex(this.dir)).manifests;
  }

  /**
   * Queues an edit of index.json. Edits are serialized, and those that arrive while a
   * write is under way are applied together in the next one: naming 200 images costs a
   * few rewrites, not 200, and no update is lost.
   */
  private updateIndex(edit: IndexEdit): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.pendingEdits.push({ edit, resolve, reject });
      if (this.flushQueued) return;
      this.flushQueued = true;
      this.indexQueue = this.indexQueue.then(() => this.flushEdits());
    });
  }

  private async flushEdits(): Promise<void> {
    this.flushQueued = false;
    const batch = this.pendingEdits.splice(0);
    try {
      const index = await readIndex(this.dir);
      let entries = index.manifests;
      for (const { edit } of batch) entries = edit(entries);
      if (entries !== index.manifests) {
        await writeFileAtomic(join(this.dir, INDEX_FILE), serializeIndex({ ...index, manifests: entries }), INDEX_FILE);
      }
      for (const { resolve } of batch) resolve();
    } catch (err) {
      for (const { reject } of batch) reject(err);
    }
  }
}

type IndexEdit = (entries: Descriptor[]) => Descriptor[];

/** The descriptor a copy starts from: the entry without its layout-specific name. */
function rootDescriptor(entry: Descriptor): Descriptor {
  return indexEntry(entry);
}

/**
 * Opens an OCI image layout folder. With `create`, missing parts are made (an existing
 * layout is kept as it is, so an interrupted run can continue into it).
 */
export async function openLayout(dir: string, options: OpenLayoutOptions = {}): Promise<LayoutTarget> {
  const layoutPath = join(dir, LAYOUT_FILE);
  const indexPath = join(dir, INDEX_FILE);
  if (options.create) {
    try {
      await mkdir(join(dir, BLOBS_DIR, SHA256_DIR), { recursive: true });
      if (!(await isFile(layoutPath))) await writeFileAtomic(layoutPath, LAYOUT_TEXT, LAYOUT_FILE);
      if (!(await isFile(indexPath))) await writeFileAtomic(indexPath, serializeIndex(emptyIndex()), INDEX_FILE);
    } catch (cause) {
      throw new AirlockError('IO', `cannot create OCI layout ${dir}: ${messageOf(cause)}`, {
        cause,
        hint: 'check that the parent folder exists and is writable',
      });
    }
  }
  let text: string;
  try {
    text = await readFile(layoutPath, 'utf8');
  } catch (cause) {
    throw new AirlockError('LAYOUT_INVALID', `${dir} is not an OCI image layout: ${LAYOUT_FILE} is missing or unreadable`, {
      cause,
      hint: 'point at the folder that holds oci-layout and index.json (the layout root may be one folder down)',
    });
  }
  let ok = false;
  try {
    ok = LayoutFileSchema.safeParse(JSON.parse(text)).success;
  } catch {
    ok = false;
  }
  if (!ok) {
    throw new AirlockError('LAYOUT_INVALID', `${layoutPath} is not {"imageLayoutVersion":"1.0.0"}`, {
      hint: 'the layout is damaged or of an unsupported version; extract or copy it again',
    });
  }
  await readIndex(dir);
  return new LayoutTarget(dir, options.keepPartial === true);
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}
