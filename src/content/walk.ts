import { AirlockError } from '../errors.js';
import { isIndexType, isManifestType } from '../oci/media-types.js';
import { parseManifest, successors, type ParsedManifest } from '../oci/manifest.js';
import type { Descriptor } from '../oci/schemas.js';
import type { SourceTarget } from './target.js';
import { MANIFEST_SIZE_LIMIT, readVerified } from './verify.js';

/** What `expand()` gives a manifest visitor: the bytes held, their parsed form, and each child's result. */
export interface Expanded<R> {
  bytes: Buffer;
  parsed: ParsedManifest;
  children: R[];
}

export interface ManifestVisit<R> {
  /** Names the referrer, for messages: `index.json manifests[0] ("app:v1")`, `index sha256:…`. */
  from: string;
  /**
   * Reads the manifest (verified against its descriptor), parses it and visits every
   * child (concurrently), returning their results. Not calling it skips the subtree:
   * the copier does that when the destination has the manifest already.
   */
  expand(): Promise<Expanded<R>>;
  /** Reads and parses without visiting children: for visitors that choose children themselves (a platform filter). */
  read(): Promise<{ bytes: Buffer; parsed: ParsedManifest }>;
  /** Visits one descriptor as a child of this manifest (a filter's chosen child). */
  visit(child: Descriptor): Promise<R>;
}

export interface BlobVisit {
  from: string;
  /** `config` for a manifest's first successor, else `layer`. */
  role: 'config' | 'layer';
}

export interface Visitor<R> {
  manifest(desc: Descriptor, visit: ManifestVisit<R>): Promise<R>;
  blob(desc: Descriptor, visit: BlobVisit): Promise<R>;
}

export interface WalkOptions {
  /** Names the root in messages. */
  where: string;
  /** How manifest bytes are read; default: `source.fetch` through the verifying reader. */
  fetch?: (desc: Descriptor, what: string) => Promise<Buffer>;
}

/**
 * The one graph walk: from a root descriptor down through indexes, manifests and
 * their blobs, children before their parent's visit completes. The visitor decides
 * what a node means (copy it, list it, check it) and whether to descend; the walk
 * owns the shape of the graph: which successors are manifests (an index's entries,
 * a manifest-typed layer of an artifact) and which are blobs, manifest size limits,
 * verified reads, and visiting each digest once per walk (a layer shared by every
 * platform of an index is visited once, and its result shared).
 */
export async function walk<R>(source: SourceTarget, root: Descriptor, visitor: Visitor<R>, options: WalkOptions): Promise<R> {
  const seen = new Map<string, Promise<R>>();
  const fetch =
    options.fetch ??
    (async (desc: Descriptor, what: string): Promise<Buffer> => readVerified(await source.fetch(desc), desc, what));

  const read = async (desc: Descriptor, from: string): Promise<{ bytes: Buffer; parsed: ParsedManifest }> => {
    const what = `manifest ${desc.digest} of ${options.where}`;
    if (desc.size > MANIFEST_SIZE_LIMIT) {
      throw new AirlockError('SIZE_LIMIT', `${what} (from ${from}): the descriptor says ${desc.size} bytes, more than the ${MANIFEST_SIZE_LIMIT}-byte manifest limit`, {
        hint: 'this is not a manifest airlock can handle; check the reference',
      });
    }
    const bytes = await fetch(desc, what);
    return { bytes, parsed: parseManifest(bytes, desc.mediaType, `${options.where} (${desc.digest})`) };
  };

  const visitManifest = (desc: Descriptor, from: string): Promise<R> => once(`m:${desc.digest}`, () => {
    const here = `${isIndexType(desc.mediaType) ? 'index' : 'manifest'} ${desc.digest}`;
    const visitChild = (child: Descriptor, role: BlobVisit['role'], parent: ParsedManifest): Promise<R> =>
      // An index lists manifests; an artifact may list a manifest as a layer and it still needs its subtree.
      parent.kind === 'index' || isManifestType(child.mediaType) ? visitManifest(child, here) : visitBlob(child, here, role);
    return visitor.manifest(desc, {
      from,
      read: () => read(desc, from),
      expand: async () => {
        const { bytes, parsed } = await read(desc, from);
        const children = await Promise.all(successors(parsed).map((c, i) => visitChild(c, i === 0 ? 'config' : 'layer', parsed)));
        return { bytes, parsed, children };
      },
      visit: (child) => visitManifest(child, here),
    });
  });

  const visitBlob = (desc: Descriptor, from: string, role: BlobVisit['role']): Promise<R> =>
    once(`b:${desc.digest}`, () => visitor.blob(desc, { from, role }));

  function once(key: string, run: () => Promise<R>): Promise<R> {
    let result = seen.get(key);
    if (result === undefined) {
      result = run();
      seen.set(key, result);
    }
    return result;
  }

  return visitManifest(root, options.where);
}
