import type { SourceTarget } from '../content/target.js';
import { MANIFEST_SIZE_LIMIT, readVerified } from '../content/verify.js';
import { AirlockError } from '../errors.js';
import { ManifestSchema, type Descriptor } from '../oci/schemas.js';
import { parseImageRef } from '../ref/index.js';
import {
  COSIGN_CERTIFICATE_ANNOTATION,
  COSIGN_SIGNATURE_ANNOTATION,
  cosignKeylessSigner,
  cosignSigner,
  fingerprint,
  parseSimpleSigning,
  SIMPLE_SIGNING_TYPE,
  type ImageKeylessPolicy,
  type PublicKey,
} from '../sign/index.js';
import { subjectsOf } from './attached.js';
import { walkGraph } from './graph.js';
import type { Attached } from './manifest.js';
import { BundleSource, requireRandomAccess, type OpenedBundle } from './read.js';

/** `--image-key`, `--require-image-signatures`: how image signatures are judged. */
export interface ImageSignaturePolicy {
  /** cosign public keys; a signature made by any of them counts. */
  keys: readonly PublicKey[];
  /** A missing or failed signature is fatal, before anything is written or pushed. */
  require?: boolean;
  /** Keyless signatures: a certificate in the `.sig` layer's annotations, checked against a trusted root. */
  keyless?: ImageKeylessPolicy;
  /** Repositories a signature may also name besides the image's own (push: where it is mapped to). */
  alsoNamed?: (image: string) => readonly string[];
}

/** One image, as the check needs it: its name and root. */
export interface SignedImage {
  source: string;
  root: Descriptor;
}

export interface ImageSignatureResult {
  image: string;
  subject: string;
  platform?: string;
  ok: boolean;
  detail: string;
}

/** `HOST/PATH` of an image reference, and Docker Hub's other spelling of it, as cosign writes it. */
function repositoriesOf(image: string): string[] {
  const ref = parseImageRef(image);
  const name = `${ref.registry}/${ref.repository}`;
  return ref.registry === 'docker.io' ? [name, `index.docker.io/${ref.repository}`] : [name];
}

/** Who made a signature: a --image-key, or a certificate the trusted root vouches for (keyless). */
async function signerOf(payload: Buffer, signature: string, certificate: string | undefined, policy: ImageSignaturePolicy): Promise<{ signer: string } | { problem: string }> {
  const key = cosignSigner(payload, signature, policy.keys);
  if (key !== undefined) return { signer: `${fingerprint(key.keyId)} (${key.source})` };
  if (certificate !== undefined && policy.keyless !== undefined) return cosignKeylessSigner(payload, signature, certificate, policy.keyless);
  if (certificate !== undefined && policy.keys.length === 0) return { problem: 'it is a keyless signature, and no --image-trusted-root was given' };
  return { problem: 'the signature does not verify with any --image-key (wrong key, or the payload was altered)' };
}

/** Checks one `.sig` manifest: the first layer that verifies with a key and names this subject and image wins. */
async function checkSignature(source: SourceTarget, a: Attached, policy: ImageSignaturePolicy): Promise<{ ok: boolean; detail: string }> {
  const desc = { mediaType: a.mediaType, digest: a.digest, size: a.size } as Descriptor;
  const parsed = ManifestSchema.safeParse(JSON.parse((await readVerified(await source.fetch(desc), desc, `signature ${a.tag ?? a.digest}`)).toString('utf8')));
  if (!parsed.success) return { ok: false, detail: `${a.tag} is not an image manifest` };
  const names = [...repositoriesOf(a.image), ...(policy.alsoNamed?.(a.image) ?? [])];
  let problem = 'it holds no simple-signing layer';
  for (const layer of parsed.data.layers) {
    const signature = layer.annotations?.[COSIGN_SIGNATURE_ANNOTATION];
    if (layer.mediaType !== SIMPLE_SIGNING_TYPE || signature === undefined || layer.size > MANIFEST_SIZE_LIMIT) continue;
    const payload = await readVerified(await source.fetch(layer), layer, `signature payload ${layer.digest}`);
    const signer = await signerOf(payload, signature, layer.annotations?.[COSIGN_CERTIFICATE_ANNOTATION], policy);
    if ('problem' in signer) {
      problem = signer.problem;
      continue;
    }
    const claim = parseSimpleSigning(payload);
    if ('problem' in claim) {
      problem = claim.problem;
    } else if (claim.digest !== a.subject) {
      problem = `its payload signs ${claim.digest}, another image`;
    } else if (!names.includes(claim.dockerReference)) {
      problem = `its payload was signed for ${claim.dockerReference || '(no docker-reference)'}, not ${names.join(' or ')}`;
    } else {
      return { ok: true, detail: `signed by ${signer.signer}` };
    }
  }
  return { ok: false, detail: problem };
}

/**
 * Verifies every cosign key signature carried for the images, offline, from any
 * source (the registries at pack time, the bundle at verify and push time).
 * Returns the attached records with what was found, and one result per
 * signature. With `require`, every image and platform must be covered by a good
 * signature (on the platform's manifest or on its index), else one error lists
 * each image, platform and reason.
 */
export async function checkImageSignatures(
  source: SourceTarget,
  images: readonly SignedImage[],
  attached: readonly Attached[],
  policy: ImageSignaturePolicy,
): Promise<{ attached: Attached[]; results: ImageSignatureResult[] }> {
  if (policy.require && policy.keys.length === 0 && policy.keyless === undefined) {
    throw new AirlockError('USAGE', '--require-image-signatures needs at least one --image-key (or the --image-trusted-root flags)', { hint: 'give the vendor\'s cosign public key with --image-key cosign.pub' });
  }
  const results: ImageSignatureResult[] = [];
  const checked: Attached[] = [];
  for (const a of attached) {
    if (a.kind !== 'cosign-signature' || a.found !== 'tag' || (policy.keys.length === 0 && policy.keyless === undefined)) {
      checked.push(a);
      continue;
    }
    const verdict = await checkSignature(source, a, policy);
    checked.push({ ...a, verified: verdict });
    results.push({ image: a.image, subject: a.subject, ...(a.platform !== undefined ? { platform: a.platform } : {}), ...verdict });
  }
  if (policy.require) {
    const problems: string[] = [];
    for (const image of images) {
      const bytes = await readVerified(await source.fetch(image.root), image.root, image.source);
      const [root, ...children] = subjectsOf(image.root, bytes);
      const on = (subject: string) => results.filter((r) => r.image === image.source && r.subject === subject);
      const rootGood = on(root!.digest).some((r) => r.ok);
      for (const s of children.length > 0 ? children : [root!]) {
        if (rootGood || on(s.digest).some((r) => r.ok)) continue;
        const failed = [...on(s.digest), ...on(root!.digest)].find((r) => !r.ok);
        const platform = s.platform ?? (await walkGraph(source, image.root, image.source)).platforms.join(',');
        problems.push(`${image.source} (${platform || 'no platform'}): ${failed !== undefined ? failed.detail : 'no cosign signature is carried'}`);
      }
    }
    if (problems.length > 0) {
      throw new AirlockError('IMAGE_SIGNATURE', `image signatures do not hold (${problems.length}):\n${problems.map((p) => `  - ${p}`).join('\n')}`, {
        hint: 'nothing was written or sent; check --image-key, or get correctly signed images from the vendor',
      });
    }
  }
  return { attached: checked, results };
}

/** verify's and push's check: the signatures as carried in a bundle (read in place). */
export async function bundleImageSignatures(bundle: OpenedBundle, policy: ImageSignaturePolicy): Promise<ImageSignatureResult[]> {
  requireRandomAccess(bundle, 'check image signatures of');
  const images = bundle.manifest.artifacts.filter((a) => a.kind === 'image').map((a) => ({ source: a.source, root: { mediaType: a.mediaType, digest: a.digest, size: sizeOf(bundle, a.digest) } as Descriptor }));
  return (await checkImageSignatures(new BundleSource(bundle), images, bundle.manifest.attached ?? [], policy)).results;
}

function sizeOf(bundle: OpenedBundle, digest: string): number {
  return bundle.manifest.files.find((f) => f.path === `blobs/sha256/${digest.slice('sha256:'.length)}`)?.size ?? 0;
}
