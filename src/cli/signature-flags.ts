import type { SignaturePolicy } from '../bundle/signers.js';
import { AirlockError } from '../errors.js';
import { loadPublicKeys } from './options.js';

export interface SignatureFlags {
  key?: unknown;
  allowUnsigned?: boolean;
  trustedRoot?: string;
  certificateIdentity?: string;
  certificateOidcIssuer?: string;
}

/** The signature options shared by verify, unpack, push and values. */
export function withSignatureOptions<T extends { option: (raw: string, description: string) => T }>(command: T): T {
  return command
    .option('--key <pub>', 'Public key that must have signed (repeat: every key given must have signed)')
    .option('--allow-unsigned', 'Accept a bundle without any signature (never the default)')
    .option('--trusted-root <file>', 'Keyless: Sigstore trusted_root.json to verify certificates with')
    .option('--certificate-identity <id>', 'Keyless: the signer identity (SAN), matched exactly')
    .option('--certificate-oidc-issuer <url>', 'Keyless: the OIDC issuer, matched exactly');
}

/** The policy the flags ask for; no key, no keyless identity and no --allow-unsigned is a usage error. */
export async function signaturePolicy(flags: SignatureFlags): Promise<SignaturePolicy> {
  const keyless = [flags.trustedRoot, flags.certificateIdentity, flags.certificateOidcIssuer];
  const given = keyless.filter((v) => v !== undefined).length;
  if (given !== 0 && given !== 3) {
    throw new AirlockError('USAGE', 'keyless verification needs all of --trusted-root, --certificate-identity and --certificate-oidc-issuer');
  }
  const policy: SignaturePolicy = { keys: await loadPublicKeys(flags.key), allowUnsigned: flags.allowUnsigned === true };
  if (given === 3) {
    policy.keyless = {
      trustedRootPath: flags.trustedRoot!,
      certificateIdentity: flags.certificateIdentity!,
      certificateIssuer: flags.certificateOidcIssuer!,
    };
  }
  if (policy.keys.length === 0 && policy.keyless === undefined && !policy.allowUnsigned) {
    throw new AirlockError('USAGE', 'no key given to verify the signature with', {
      hint: 'give the packer\'s public key with --key PUB (keyless: --trusted-root with --certificate-identity and --certificate-oidc-issuer)',
    });
  }
  return policy;
}
