import { z } from 'zod';
import { SHA256_HEX } from '../oci/digest.js';
import { DigestSchema } from '../oci/schemas.js';

/** Names of the tar entries that come before the OCI layout. */
export const MANIFEST_FILE = 'airlock.json';
export const SIGNATURE_FILE = 'airlock.json.sigstore.json';
export const BUNDLE_FORMAT = 'airlock.bundle.v1';

const digest = DigestSchema;
const hex = z.string().regex(SHA256_HEX);

export const ArtifactSchema = z.object({
  kind: z.enum(['image', 'chart']),
  /** The reference as the user gave it, normalized: `docker.io/library/nginx:1.27`. */
  source: z.string().min(1),
  /** The `org.opencontainers.image.ref.name` of its index.json entry. */
  name: z.string().min(1),
  digest,
  mediaType: z.string().min(1),
  /** `os/arch[/variant]` of each platform carried; empty for charts and artifacts. */
  platforms: z.array(z.string()),
  /** Bytes of every manifest and blob this artifact needs (shared blobs counted in each). */
  size: z.number().int().nonnegative(),
  chart: z.object({ name: z.string(), version: z.string() }).optional(),
});

export const FileEntrySchema = z.object({
  path: z.string().min(1),
  size: z.number().int().nonnegative(),
  sha256: hex,
  /** Delta bundles: this blob is not in the tar; the base with this digest holds it. */
  base: digest.optional(),
});

/** A base a delta was packed against: an earlier bundle (its airlock.json), a receipt or an inventory. */
export const BaseRefSchema = z.object({
  kind: z.enum(['bundle', 'receipt', 'inventory']),
  /** sha256 of the bundle's airlock.json, or of the receipt's canonical JSON. */
  digest,
  /** The file it was read from, by name only (for people). */
  name: z.string(),
});

/** Kinds of artifacts attached to an image (signatures, attestations, SBOMs): see bundle/attached.ts. */
export const ATTACHED_KINDS = ['cosign-signature', 'cosign-attestation', 'sigstore-bundle', 'sbom', 'other'] as const;

/** An artifact found attached to an image or one of its platforms, carried whole. */
export const AttachedSchema = z.object({
  /** The `source` of the image artifact it belongs to. */
  image: z.string().min(1),
  /** The manifest it is attached to: the image's root or one child of its index. */
  subject: digest,
  /** `os/arch[/variant]` of the subject when it is a child of an index. */
  platform: z.string().optional(),
  kind: z.enum(ATTACHED_KINDS),
  artifactType: z.string().optional(),
  digest,
  mediaType: z.string().min(1),
  size: z.number().int().nonnegative(),
  /** `tag`: a cosign tag (`sha256-<hex>.sig`); `referrer`: the referrers API or its fallback index. */
  found: z.enum(['tag', 'referrer']),
  tag: z.string().optional(),
  /** The referrer descriptor's annotations, copied into the target's fallback index. */
  annotations: z.record(z.string(), z.string()).optional(),
  /** What pack checked, with --image-key: the signature verified or why not. */
  verified: z.object({ ok: z.boolean(), detail: z.string() }).optional(),
});

export const BundleManifestSchema = z.object({
  format: z.literal(BUNDLE_FORMAT),
  tool: z.object({ name: z.literal('airlock'), version: z.string() }),
  /** RFC 3339, from SOURCE_DATE_EPOCH when set. */
  created: z.string(),
  /** The pack request as given (images, charts, platforms). */
  spec: z.record(z.string(), z.unknown()),
  artifacts: z.array(ArtifactSchema),
  /** Every other file of the tar, in tar order: oci-layout, index.json, blobs/sha256/… */
  files: z.array(FileEntrySchema),
  /** Delta bundles only: the bases whose blobs were left out (files marked `base`). */
  bases: z.array(BaseRefSchema).optional(),
  /** Signatures, attestations and SBOMs attached to the images (absent in older bundles). */
  attached: z.array(AttachedSchema).optional(),
});

export type Artifact = z.infer<typeof ArtifactSchema>;
export type Attached = z.infer<typeof AttachedSchema>;
export type AttachedKind = Attached['kind'];
export type FileEntry = z.infer<typeof FileEntrySchema>;
export type BaseRef = z.infer<typeof BaseRefSchema>;
export type BundleManifest = z.infer<typeof BundleManifestSchema>;
