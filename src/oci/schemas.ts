import { z } from 'zod';

import { SHA256_DIGEST, type Digest } from './digest.js';

/** The one digest check of every document airlock parses; its output type is the branded Digest. */
export const DigestSchema = z.string().regex(SHA256_DIGEST, 'must be sha256:<64 lowercase hex>').transform((v) => v as Digest);
const digest = DigestSchema;
const annotations = z.record(z.string(), z.string());

export const PlatformSchema = z
  .object({
    architecture: z.string().min(1),
    os: z.string().min(1),
    'os.version': z.string().optional(),
    'os.features': z.array(z.string()).optional(),
    variant: z.string().optional(),
    features: z.array(z.string()).optional(),
  })
  .loose();

export const DescriptorSchema = z
  .object({
    mediaType: z.string().min(1),
    digest,
    size: z.number().int().nonnegative(),
    urls: z.array(z.string()).optional(),
    annotations: annotations.optional(),
    data: z.string().optional(),
    artifactType: z.string().optional(),
    platform: PlatformSchema.optional(),
  })
  .loose();

/** Image manifest, OCI or Docker schema2 (same shape). */
export const ManifestSchema = z
  .object({
    schemaVersion: z.literal(2),
    mediaType: z.string().optional(),
    artifactType: z.string().optional(),
    config: DescriptorSchema,
    layers: z.array(DescriptorSchema),
    subject: DescriptorSchema.optional(),
    annotations: annotations.optional(),
  })
  .loose();

/** Image index, OCI or Docker manifest list (same shape). */
export const IndexSchema = z
  .object({
    schemaVersion: z.literal(2),
    mediaType: z.string().optional(),
    artifactType: z.string().optional(),
    manifests: z.array(DescriptorSchema),
    subject: DescriptorSchema.optional(),
    annotations: annotations.optional(),
  })
  .loose();

export const LayoutFileSchema = z.object({ imageLayoutVersion: z.literal('1.0.0') }).loose();

export type Platform = z.infer<typeof PlatformSchema>;
export type Descriptor = z.infer<typeof DescriptorSchema>;
export type Manifest = z.infer<typeof ManifestSchema>;
export type Index = z.infer<typeof IndexSchema>;
export type LayoutFile = z.infer<typeof LayoutFileSchema>;

/** Every schema that is published as JSON Schema under schemas/. */
export const PUBLISHED_SCHEMAS = {
  'oci-descriptor': DescriptorSchema,
  'oci-manifest': ManifestSchema,
  'oci-index': IndexSchema,
  'oci-layout': LayoutFileSchema,
  'oci-platform': PlatformSchema,
} as const;
