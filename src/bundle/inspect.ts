import { X509Certificate } from 'node:crypto';
import type { SignatureFile } from '../sign/index.js';
import { claimedKeyId } from '../sign/envelope.js';
import { deltaSummary, type DeltaSummary } from './delta.js';
import type { Artifact } from './manifest.js';
import { countAttached, type AttachedCount } from './attached-summary.js';
import { describeForm, openSignedBundle, type OpenedBundle } from './read.js';

export interface ClaimedSigner {
  signature: string;
  /** What the signature says about its signer: a key fingerprint or a certificate identity. Not verified. */
  claims: string;
}

export interface BundleSummary {
  bundle: string;
  form: string;
  created: string;
  tool: string;
  artifacts: Artifact[];
  images: number;
  charts: number;
  /** Bytes of all files in the layout (blobs counted once). */
  bytes: number;
  files: number;
  signatures: ClaimedSigner[];
  junk: string[];
  root: string;
  missingIndex: boolean;
  /** A delta bundle: the bases it needs and what it left out. */
  delta?: DeltaSummary;
  /** Signatures, attestations, SBOMs per image and platform (what pack recorded; unverified here). */
  attached: AttachedCount[];
}

/** Who a signature says signed it: unverified metadata, shown as such. */
export function claimedSigner(file: SignatureFile): ClaimedSigner {
  const material = file.bundle.verificationMaterial.content;
  const certDer =
    material.$case === 'certificate'
      ? material.certificate.rawBytes
      : material.$case === 'x509CertificateChain'
        ? material.x509CertificateChain.certificates[0]?.rawBytes
        : undefined;
  if (certDer !== undefined) {
    try {
      const cert = new X509Certificate(certDer);
      return { signature: file.name, claims: `certificate ${cert.subjectAltName ?? cert.subject}` };
    } catch {
      return { signature: file.name, claims: 'an unreadable certificate' };
    }
  }
  const hint = claimedKeyId(file);
  return { signature: file.name, claims: hint === '' ? 'an unnamed key' : `key sha256:${hint}` };
}

export function summarize(bundle: OpenedBundle): BundleSummary {
  const m = bundle.manifest;
  return {
    bundle: bundle.reader.name,
    form: describeForm(bundle),
    created: m.created,
    tool: `${m.tool.name} ${m.tool.version}`,
    artifacts: m.artifacts,
    images: m.artifacts.filter((a) => a.kind === 'image').length,
    charts: m.artifacts.filter((a) => a.kind === 'chart').length,
    bytes: m.files.reduce((n, f) => n + (f.base === undefined ? f.size : 0), 0),
    files: m.files.length,
    signatures: bundle.signatures.map(claimedSigner),
    junk: bundle.junk,
    root: bundle.layout.root,
    missingIndex: bundle.layout.missingIndex,
    ...(m.bases !== undefined ? { delta: deltaSummary(m) } : {}),
    attached: countAttached(m.attached ?? []),
  };
}

/**
 * `airlock inspect`: what a bundle says it holds and who it says signed it. Reads
 * airlock.json and the signature files only, and checks nothing: verify does that.
 */
export async function inspect(input: string | readonly string[]): Promise<BundleSummary> {
  const bundle = await openSignedBundle(input);
  try {
    return summarize(bundle);
  } finally {
    await bundle.close();
  }
}
