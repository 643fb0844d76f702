import { createHash, X509Certificate } from 'node:crypto';
import { HashAlgorithm } from '@sigstore/protobuf-specs';
import { Verifier, toSignedEntity } from '@sigstore/verify';
import { messageOf } from '../errors.js';
import { loadTrustedRoot, withVerificationTime } from './keyless.js';

/** Where cosign puts a keyless signature's certificate (PEM) in the `.sig` layer. */
export const COSIGN_CERTIFICATE_ANNOTATION = 'dev.sigstore.cosign/certificate';

/** `--image-trusted-root`, `--image-certificate-identity`, `--image-certificate-oidc-issuer`: exact matches. */
export interface ImageKeylessPolicy {
  trustedRootPath: string;
  certificateIdentity: string;
  certificateIssuer: string;
  /** When to check the certificate chain if nothing in the signature says (offline: no log entry). Default now. */
  now?: Date;
}

/**
 * Verifies a cosign keyless signature (base64 ECDSA over the payload, the leaf
 * certificate in PEM) against a trusted root, offline, with Sigstore's verifier
 * and the thresholds it applies to what is given (no log, no SCT, no timestamp
 * authority listed: zero of each). Identity and issuer must match exactly.
 * Returns who signed, or why not.
 */
export async function cosignKeylessSigner(payload: Buffer, signatureB64: string, certificatePem: string, policy: ImageKeylessPolicy): Promise<{ signer: string } | { problem: string }> {
  let der: Buffer;
  try {
    der = new X509Certificate(certificatePem).raw;
  } catch {
    return { problem: 'its certificate annotation is not a PEM certificate' };
  }
  const bundle = {
    mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json',
    verificationMaterial: { content: { $case: 'certificate', certificate: { rawBytes: der } }, tlogEntries: [], timestampVerificationData: { rfc3161Timestamps: [] } },
    content: {
      $case: 'messageSignature',
      messageSignature: { messageDigest: { algorithm: HashAlgorithm.SHA2_256, digest: createHash('sha256').update(payload).digest() }, signature: Buffer.from(signatureB64, 'base64') },
    },
  } as unknown as Parameters<typeof toSignedEntity>[0];
  const verifier = new Verifier(await loadTrustedRoot(policy.trustedRootPath), { tlogThreshold: 0, ctlogThreshold: 0, timestampThreshold: 0 });
  let identity: string | undefined;
  let issuer: string | undefined;
  try {
    const signer = verifier.verify(withVerificationTime(toSignedEntity(bundle, payload), policy.now ?? new Date()));
    identity = signer.identity?.subjectAlternativeName;
    issuer = signer.identity?.extensions?.issuer;
  } catch (err) {
    return { problem: `the keyless signature does not verify against ${policy.trustedRootPath}: ${messageOf(err)}` };
  }
  if (identity !== policy.certificateIdentity) return { problem: `its certificate names "${identity ?? '(no identity)'}", not "${policy.certificateIdentity}"` };
  if (issuer !== policy.certificateIssuer) return { problem: `its certificate's OIDC issuer is "${issuer ?? '(none)'}", not "${policy.certificateIssuer}"` };
  return { signer: `${identity} (issuer ${issuer})` };
}
