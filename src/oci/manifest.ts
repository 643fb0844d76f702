import { AirlockError } from '../errors.js';
import { INDEX_TYPES, IMAGE_MANIFEST_TYPES, MediaType, isSchema1 } from './media-types.js';
import { IndexSchema, ManifestSchema, type Descriptor, type Index, type Manifest } from './schemas.js';

export type ParsedManifest =
  | { kind: 'manifest'; mediaType: string; manifest: Manifest }
  | { kind: 'index'; mediaType: string; index: Index };

function refuseSchema1(where: string): never {
  throw new AirlockError('MEDIA_TYPE_UNSUPPORTED', `${where} is a Docker schema1 manifest, which is deprecated and not supported`, {
    hint: 'ask the publisher for a schema2 or OCI image, or re-push it with a current client (e.g. skopeo copy --format v2s2) on the connected side',
  });
}

/**
 * Parses manifest bytes. `declared` is the media type from the descriptor or the
 * registry's Content-Type; the document's own `mediaType` must agree with it.
 * `where` names the manifest in errors (a reference or digest).
 */
export function parseManifest(bytes: Uint8Array, declared: string | undefined, where: string): ParsedManifest {
  if (isSchema1(declared)) refuseSchema1(where);
  let doc: unknown;
  try {
    doc = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch (cause) {
    throw new AirlockError('MANIFEST_INVALID', `manifest ${where} is not valid JSON`, { cause });
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
    throw new AirlockError('MANIFEST_INVALID', `manifest ${where} is not a JSON object`);
  }
  const record = doc as Record<string, unknown>;
  if (record.schemaVersion === 1 || isSchema1(record.mediaType as string | undefined)) refuseSchema1(where);
  const inner = typeof record.mediaType === 'string' ? record.mediaType : undefined;
  // A generic Content-Type such as application/json says nothing; trust the document then.
  const declaredUseful = declared !== undefined && (INDEX_TYPES.includes(declared) || IMAGE_MANIFEST_TYPES.includes(declared));
  if (declaredUseful && inner !== undefined && inner !== declared) {
    throw new AirlockError('MANIFEST_INVALID', `manifest ${where} says mediaType ${inner} but was served as ${declared}`);
  }
  const mediaType = (declaredUseful ? declared : inner) ?? (Array.isArray(record.manifests) ? MediaType.OciIndex : MediaType.OciManifest);

  if (INDEX_TYPES.includes(mediaType)) {
    const parsed = IndexSchema.safeParse(doc);
    if (!parsed.success) throw schemaError(where, parsed.error.issues);
    return { kind: 'index', mediaType, index: parsed.data };
  }
  if (IMAGE_MANIFEST_TYPES.includes(mediaType)) {
    const parsed = ManifestSchema.safeParse(doc);
    if (!parsed.success) throw schemaError(where, parsed.error.issues);
    return { kind: 'manifest', mediaType, manifest: parsed.data };
  }
  throw new AirlockError('MEDIA_TYPE_UNSUPPORTED', `manifest ${where} has unsupported media type ${mediaType}`, {
    hint: 'airlock copies OCI and Docker schema2 image manifests and indexes (and Helm charts stored as OCI artifacts)',
  });
}

function schemaError(where: string, issues: readonly { path: PropertyKey[]; message: string }[]): AirlockError {
  const list = issues.map((i) => `${i.path.map(String).join('.') || '(root)'}: ${i.message}`).join('; ');
  return new AirlockError('MANIFEST_INVALID', `manifest ${where} is malformed: ${list}`);
}

/**
 * The descriptors a manifest points to, in the order a copy must push them first.
 * `subject` is left out on purpose: a referrer points back at its subject, and
 * copying an artifact must not drag the image it annotates along.
 */
export function successors(parsed: ParsedManifest): Descriptor[] {
  if (parsed.kind === 'index') return [...parsed.index.manifests];
  return [parsed.manifest.config, ...parsed.manifest.layers];
}

/** Whether a manifest is a Helm chart artifact. */
export function isHelmChart(parsed: ParsedManifest): boolean {
  return parsed.kind === 'manifest' && parsed.manifest.config.mediaType === MediaType.HelmConfig;
}
