import type { CAC } from 'cac';
import { describeForm, openSignedBundle } from '../../bundle/read.js';
import { verifyContents, verifySignatures, type SignaturePolicy } from '../../bundle/verify.js';
import { AirlockError } from '../../errors.js';
import { bundleInput, formatBytes, loadPublicKeys } from '../options.js';
import { Progress } from '../progress.js';
import { processIo, runAction } from '../run.js';
import { printable } from '../text.js';

export interface SignatureFlags {
  key?: unknown;
  allowUnsigned?: boolean;
  trustedRoot?: string;
  certificateIdentity?: string;
  certificateOidcIssuer?: string;
}

/** The signature options shared by verify, unpack and push. */
export function withSignatureOptions<T extends { option: (raw: string, description: string) => T }>(command: T): T {
  return command
    .option('--key <pub>', 'Public key that must have signed (repeat: every key given must have signed)')
    .option('--allow-unsigned', 'Accept a bundle without any signature (never the default)')
    .option('--trusted-root <file>', 'Keyless: Sigstore trusted_root.json to verify certificates with')
    .option('--certificate-identity <id>', 'Keyless: the signer identity (SAN), matched exactly')
    .option('--certificate-oidc-issuer <url>', 'Keyless: the OIDC issuer, matched exactly');
}

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

export function register(cli: CAC): void {
  withSignatureOptions(
    cli.command('verify <...bundle>', 'Prove a bundle is exactly what was signed: check the signature, then hash every byte'),
  )
    .option('--json', 'Print a machine-readable report of every check')
    .example('  airlock verify bundle.tar --key vendor.pub')
    .example('  airlock verify bundle.tar.000 --key vendor.pub --key security-team.pub')
    .action((args: string[], flags: SignatureFlags & { json?: boolean }) =>
      runAction(async () => {
        const policy = await signaturePolicy(flags);
        const bundle = await openSignedBundle(bundleInput(args));
        try {
          const signers = await verifySignatures(bundle, policy);
          const progress = new Progress(processIo);
          const contents = await verifyContents(bundle, (done, total) => progress.update('verifying', done, total));
          progress.done();
          const m = bundle.manifest;
          if (flags.json) {
            processIo.out(
              JSON.stringify({
                ok: true,
                bundle: bundle.reader.name,
                form: describeForm(bundle),
                created: m.created,
                signed: signers.length > 0,
                signers,
                checks: [
                  { check: 'signature', ok: true, detail: signers.length > 0 ? `${signers.length} signer(s)` : 'unsigned, allowed by --allow-unsigned' },
                  ...contents.checks,
                ],
                artifacts: m.artifacts,
                files: contents.files,
                bytes: contents.bytes,
              }),
            );
            return;
          }
          processIo.out(`bundle:    ${bundle.reader.name} (${describeForm(bundle)}), created ${printable(m.created)}`);
          if (signers.length === 0) processIo.out('signature: NONE (accepted because of --allow-unsigned)');
          for (const s of signers) processIo.out(`signed by: ${printable(`${s.id} (${s.source})`)}`);
          const images = m.artifacts.filter((a) => a.kind === 'image').length;
          processIo.out(`contents:  ${images} image(s), ${m.artifacts.length - images} chart(s); ${contents.files} files, ${formatBytes(contents.bytes)}, every one matches the signed manifest`);
          for (const c of contents.checks.slice(1)) processIo.out(`note:      ${printable(c.detail)}`);
          processIo.out('OK');
        } finally {
          await bundle.close();
        }
      }, flags.json === true),
    );
}
