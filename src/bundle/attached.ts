import type { SourceTarget } from '../content/target.js';
import { MANIFEST_SIZE_LIMIT, readVerified } from '../content/verify.js';
import { AirlockError, isAirlockError } from '../errors.js';
import { digestHex } from '../oci/digest.js';
import { INDEX_TYPES, MediaType } from '../oci/media-types.js';
import { formatPlatform } from '../oci/platform.js';
import { IndexSchema, type Descriptor } from '../oci/schemas.js';
import { ATTACHED_KINDS, type Attached, type AttachedKind } from './manifest.js';

/** cosign's tag scheme: `sha256-<hex>.sig`, `.att`, `.sbom` beside the image. */
const COSIGN_SUFFIXES: readonly [string, AttachedKind][] = [
  ['sig', 'cosign-signature'],
  ['att', 'cosign-attestation'],
  ['sbom', 'sbom'],
];

/** What a registry repository can do beyond a plain source (RegistryRepository has all three). */
export interface AttachedLookup {
  tags?(): Promise<string[]>;
  supportsReferrers?(digest: string): Promise<boolean | undefined>;
  referrers?(subject: string, artifactType?: string): Promise<Descriptor[]>;
}

export interface AttachedOptions {
  /** Keep only these kinds or artifactTypes (`--referrer-type`); all when absent or empty. */
  types?: readonly string[];
  onWarning?: (message: string) => void;
  /** Whether each registry host serves the referrers API, asked once per host (shared across images). */
  apiByHost?: Map<string, Promise<boolean>>;
  /** The repository's tag list, asked for already (pack starts it beside the image's copy). */
  tags?: Promise<Set<string> | undefined>;
}

export interface Subject {
  digest: string;
  platform?: string;
}

/** The kind of a referrer, from its artifactType. */
export function referrerKind(artifactType: string | undefined): AttachedKind {
  const t = artifactType ?? '';
  if (t.startsWith('application/vnd.dev.sigstore.bundle')) return 'sigstore-bundle';
  if (/spdx|cyclonedx|syft/.test(t)) return 'sbom';
  if (t === 'application/vnd.dev.cosign.artifact.sig.v1+json') return 'cosign-signature';
  if (t.startsWith('application/vnd.in-toto') || t === 'application/vnd.dsse.envelope.v1+json') return 'cosign-attestation';
  return 'other';
}

/** Checks `--referrer-type` values: a kind name, or a media type with a slash. */
export function checkReferrerTypes(types: readonly string[]): void {
  for (const t of types) {
    if (!(ATTACHED_KINDS as readonly string[]).includes(t) && !t.includes('/')) {
      throw new AirlockError('USAGE', `--referrer-type ${t} is neither a kind (${ATTACHED_KINDS.join(', ')}) nor an artifactType`, {
        hint: 'for example --referrer-type cosign-signature or --referrer-type application/spdx+json',
      });
    }
  }
}

function wanted(types: readonly string[] | undefined, kind: AttachedKind, artifactType: string | undefined): boolean {
  if (types === undefined || types.length === 0) return true;
  return types.includes(kind) || (artifactType !== undefined && types.includes(artifactType));
}

/** The subjects of an image: its root and, for an index, every child with its platform. */
export function subjectsOf(root: Descriptor, rootBytes: Buffer): Subject[] {
  const subjects: Subject[] = [{ digest: root.digest }];
  if (!INDEX_TYPES.includes(root.mediaType)) return subjects;
  const parsed = IndexSchema.safeParse(JSON.parse(rootBytes.toString('utf8')));
  if (!parsed.success) return subjects;
  for (const child of parsed.data.manifests) {
    subjects.push({ digest: child.digest, ...(child.platform ? { platform: formatPlatform(child.platform) } : {}) });
  }
  return subjects;
}

/** A tag's descriptor, or undefined where the tag does not exist. */
export async function resolveOrNone(repo: Pick<SourceTarget, 'resolve'>, tag: string): Promise<Descriptor | undefined> {
  try {
    return await repo.resolve(tag);
  } catch (err) {
    if (isAirlockError(err, 'NOT_FOUND')) return undefined;
    throw err;
  }
}

/** The tag list, or undefined when the registry will not give it (then each tag is asked for). */
export async function tagList(repo: SourceTarget & AttachedLookup): Promise<Set<string> | undefined> {
  if (repo.tags === undefined) return undefined;
  try {
    return new Set(await repo.tags());
  } catch (err) {
    if (isAirlockError(err) && ['NOT_FOUND', 'DENIED', 'UNAUTHORIZED', 'REGISTRY_ERROR'].includes(err.code)) return undefined;
    throw err;
  }
}

/**
 * Finds what is attached to an image and to each platform of its index: cosign
 * tags and OCI referrers. One tag list per repository tells which tags exist, so
 * discovery costs a request per artifact found, not four per subject; the
 * referrers API is asked once per subject only where the registry serves it.
 */
export async function discoverAttached(
  repo: SourceTarget & AttachedLookup,
  image: string,
  subjects: readonly Subject[],
  options: AttachedOptions = {},
): Promise<Attached[]> {
  const found: Attached[] = [];
  const tags = await (options.tags ?? tagList(repo));
  const has = async (tag: string): Promise<Descriptor | undefined> => (tags === undefined || tags.has(tag) ? resolveOrNone(repo, tag) : undefined);
  const api = await referrersApi(repo, subjects, options.apiByHost);

  for (const subject of subjects) {
    const hex = digestHex(subject.digest);
    const base = { image, subject: subject.digest, ...(subject.platform !== undefined ? { platform: subject.platform } : {}) };
    for (const [suffix, kind] of COSIGN_SUFFIXES) {
      if (!wanted(options.types, kind, undefined)) continue;
      const tag = `sha256-${hex}.${suffix}`;
      const desc = await has(tag);
      if (desc === undefined) continue;
      found.push({ ...base, kind, digest: desc.digest, mediaType: desc.mediaType, size: desc.size, found: 'tag', tag } as Attached);
    }
    let referrers: Descriptor[];
    if (api) {
      // One artifactType asked for: the registry may filter it (the result is filtered again below).
      const only = options.types?.length === 1 && options.types[0]!.includes('/') ? options.types[0] : undefined;
      referrers = await repo.referrers!(subject.digest, only);
    } else {
      referrers = await fallbackIndex(repo, subject, image, await has(`sha256-${hex}`), options);
    }
    for (const r of referrers) {
      const kind = referrerKind(r.artifactType);
      if (!wanted(options.types, kind, r.artifactType)) continue;
      found.push({
        ...base,
        kind,
        ...(r.artifactType !== undefined ? { artifactType: r.artifactType } : {}),
        digest: r.digest,
        mediaType: r.mediaType,
        size: r.size,
        found: 'referrer',
        ...(r.annotations !== undefined ? { annotations: r.annotations } : {}),
      } as Attached);
    }
  }
  return found;
}

/**
 * Whether the registry serves the referrers API, asked once per host: a registry
 * either has the endpoint or not, and asking per image would double discovery's
 * requests (bench: pack of set S, 20 images).
 */
function referrersApi(repo: SourceTarget & AttachedLookup, subjects: readonly Subject[], cache: Map<string, Promise<boolean>> | undefined): Promise<boolean> {
  if (repo.referrers === undefined || repo.supportsReferrers === undefined || subjects.length === 0) return Promise.resolve(false);
  const ask = () => repo.supportsReferrers!(subjects[0]!.digest).then((r) => r === true);
  if (cache === undefined) return ask();
  const host = repo.name.split('/')[0]!;
  let known = cache.get(host);
  if (known === undefined) {
    known = ask();
    cache.set(host, known);
  }
  return known;
}

/** The entries of the referrers tag schema's index `sha256-<hex>`, if the tag holds one. */
async function fallbackIndex(repo: SourceTarget, subject: Subject, image: string, desc: Descriptor | undefined, options: AttachedOptions): Promise<Descriptor[]> {
  if (desc === undefined) return [];
  const where = `${image}${subject.platform !== undefined ? ` (${subject.platform})` : ''}`;
  const tag = `sha256-${digestHex(subject.digest)}`;
  if (desc.digest === subject.digest) {
    // One public registry answers this tag with the image itself: not a referrers index.
    options.onWarning?.(`${where}: the tag ${tag} resolves to the image itself, not a referrers index; ignored`);
    return [];
  }
  if (desc.mediaType !== MediaType.OciIndex || desc.size > MANIFEST_SIZE_LIMIT) {
    options.onWarning?.(`${where}: the tag ${tag} holds ${desc.mediaType}, not an OCI index; ignored`);
    return [];
  }
  const bytes = await readVerified(await repo.fetch(desc), desc, `referrers index ${tag} of ${image}`);
  const parsed = IndexSchema.safeParse(JSON.parse(bytes.toString('utf8')));
  if (!parsed.success) {
    options.onWarning?.(`${where}: the referrers index ${tag} is not a valid OCI index; ignored`);
    return [];
  }
  return parsed.data.manifests;
}
