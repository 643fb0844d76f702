import type { CAC } from 'cac';
import { verify } from '../../bundle/verify.js';
import { bundleInput, formatBytes, list } from '../options.js';
import { Progress, progressMode, withProgressOption } from '../progress.js';
import { processIo, runAction } from '../run.js';
import { printable } from '../text.js';
import { signaturePolicy, withSignatureOptions, type SignatureFlags } from '../signature-flags.js';
import { imageSignaturePolicy, withImageSignatureOptions, type ImageSignatureFlags } from '../image-signature-flags.js';

export function register(cli: CAC): void {
  withProgressOption(withImageSignatureOptions(withSignatureOptions(
    cli.command('verify <...bundle>', 'Prove a bundle is exactly what was signed: check the signature, then hash every byte'),
  )))
    .option('--json', 'Print a machine-readable report of every check')
    .option('--base <bundle>', 'A delta: also check every blob it left out in this earlier bundle or folder (repeatable)')
    .example('  airlock verify bundle.tar --key vendor.pub')
    .example('  airlock verify bundle.tar.000 --key vendor.pub --key security-team.pub')
    .action((args: string[], flags: SignatureFlags & ImageSignatureFlags & { json?: boolean; progress?: string; base?: unknown }) =>
      runAction(async () => {
        const progress = new Progress(progressMode(flags.progress));
        const imageSignatures = await imageSignaturePolicy(flags);
        const report = await verify(bundleInput(args), await signaturePolicy(flags), {
          ...(imageSignatures ? { imageSignatures } : {}),
          onProgress: (done, total) => progress.update('verifying', done, total),
          bases: list(flags.base),
        }).finally(() => progress.done());
        if (flags.json) {
          processIo.out(JSON.stringify({ ok: true, ...report, signed: report.signers.length > 0 }));
          return;
        }
        processIo.out(`bundle:    ${report.bundle} (${report.form}), created ${printable(report.created)}`);
        if (report.signers.length === 0) processIo.out('signature: NONE (accepted because of --allow-unsigned)');
        for (const s of report.signers) processIo.out(`signed by: ${printable(`${s.id} (${s.source})`)}`);
        const images = report.artifacts.filter((a) => a.kind === 'image').length;
        processIo.out(`contents:  ${images} image(s), ${report.artifacts.length - images} chart(s); ${report.files} files, ${formatBytes(report.bytes)}, every one matches the signed manifest`);
        for (const c of report.checks.slice(2)) processIo.out(`note:      ${printable(c.detail)}`);
        for (const r of report.imageSignatures ?? []) processIo.out(`image sig: ${r.ok ? 'ok    ' : 'FAILED'} ${printable(`${r.image}${r.platform ? ` (${r.platform})` : ''}: ${r.detail}`)}`);
        processIo.out('OK');
      }, flags.json === true),
    );
}
