import type { ImageSignaturePolicy } from '../bundle/image-signatures.js';
import { AirlockError } from '../errors.js';
import { loadPublicKey } from '../sign/index.js';
import { list } from './options.js';

export interface ImageSignatureFlags {
  imageKey?: unknown;
  requireImageSignatures?: boolean;
  imageTrustedRoot?: string;
  imageCertificateIdentity?: string;
  imageCertificateOidcIssuer?: string;
}

/** `--image-key` and `--require-image-signatures`, shared by pack, verify and push. */
export function withImageSignatureOptions<T extends { option: (raw: string, description: string) => T }>(command: T): T {
  return command
    .option('--image-key <file>', "A cosign public key: check the images' cosign signatures offline with it (repeatable)")
    .option('--image-trusted-root <file>', 'Keyless image signatures: a Sigstore trusted_root.json (with the two flags below, exact matches)')
    .option('--image-certificate-identity <id>', 'Keyless image signatures: the certificate identity (SAN), exactly')
    .option('--image-certificate-oidc-issuer <url>', 'Keyless image signatures: the OIDC issuer, exactly')
    .option('--require-image-signatures', 'Fail, before anything is written or sent, unless every image and platform has a good signature');
}

/** The image-signature policy the flags ask for, or undefined when they ask for none. */
export async function imageSignaturePolicy(flags: ImageSignatureFlags): Promise<ImageSignaturePolicy | undefined> {
  const files = list(flags.imageKey);
  const keyless = [flags.imageTrustedRoot, flags.imageCertificateIdentity, flags.imageCertificateOidcIssuer];
  const given = keyless.filter((v) => v !== undefined).length;
  if (given !== 0 && given !== 3) {
    throw new AirlockError('USAGE', 'keyless image signatures need all of --image-trusted-root, --image-certificate-identity and --image-certificate-oidc-issuer');
  }
  if (files.length === 0 && given === 0 && flags.requireImageSignatures !== true) return undefined;
  if (files.length === 0 && given === 0) {
    throw new AirlockError('USAGE', '--require-image-signatures needs --image-key (or the --image-trusted-root flags)', { hint: "give the vendor's cosign public key: --image-key cosign.pub" });
  }
  return {
    keys: await Promise.all(files.map((f) => loadPublicKey(f))),
    require: flags.requireImageSignatures === true,
    ...(given === 3 ? { keyless: { trustedRootPath: flags.imageTrustedRoot!, certificateIdentity: flags.imageCertificateIdentity!, certificateIssuer: flags.imageCertificateOidcIssuer! } } : {}),
  };
}
