import type { CAC } from 'cac';
import { unpack } from '../../bundle/unpack.js';
import { Interrupt } from '../interrupt.js';
import { bundleInput, formatBytes, list } from '../options.js';
import { Progress, progressMode, withProgressOption } from '../progress.js';
import { processIo, runAction } from '../run.js';
import { printable } from '../text.js';
import { signaturePolicy, withSignatureOptions, type SignatureFlags } from '../signature-flags.js';
import { unpackTarget } from '../unpack-args.js';

export function register(cli: CAC): void {
  withProgressOption(withSignatureOptions(cli.command('unpack <...bundle>', 'Verify a bundle, then extract it safely into a new folder (an OCI layout): unpack BUNDLE DIR, or -o DIR')))
    .option('-o, --out <dir>', 'Folder to create (must not exist, or be empty); or give it after the bundle')
    .option('--json', 'Print the result as JSON')
    .option('--base <bundle>', 'A delta: take the blobs it left out from this earlier bundle or folder (repeatable)')
    .example('  airlock unpack bundle.tar ./layout --key vendor.pub')
    .example('  airlock unpack bundle.tar.000 bundle.tar.001 -o ./layout --key vendor.pub')
    .action((args: string[], flags: SignatureFlags & { out?: string; json?: boolean; progress?: string; base?: unknown }) =>
      runAction(async () => {
        const { bundle, dir } = await unpackTarget(args, flags.out);
        const progress = new Progress(progressMode(flags.progress));
        const interrupt = new Interrupt();
        let stage = 'extracting';
        let done = 0;
        let total = 0;
        const result = await unpack(bundleInput(bundle), dir, await signaturePolicy(flags), {
          signal: interrupt.signal,
          bases: list(flags.base),
          onProgress: (s, d, t) => progress.update((stage = s), (done = d), (total = t)),
        })
          .catch((err: unknown) => interrupt.report(err, () => (progress.done(), `interrupted: ${stage} had reached ${formatBytes(done)} of ${formatBytes(total)}; nothing was left in ${dir} (a folder appears only complete and verified); run the same command again to start over`), processIo, flags.json === true))
          .finally(() => (progress.done(), interrupt.dispose()));
        if (typeof result === 'number') return result;
        progress.done();
        if (flags.json) {
          processIo.out(JSON.stringify({ ok: true, ...result }));
          return;
        }
        for (const s of result.signers) processIo.out(`signed by: ${printable(`${s.id} (${s.source})`)}`);
        if (result.signers.length === 0) processIo.out('signature: NONE (accepted because of --allow-unsigned)');
        if (result.root !== '') processIo.out(`note:      the layout was nested under ${printable(result.root)} in the archive; it is at the top of ${dir} now`);
        if (result.junk.length > 0) processIo.out(`note:      ignored ${result.junk.length} junk entr${result.junk.length === 1 ? 'y' : 'ies'}: ${printable(result.junk.slice(0, 5).join(', '))}${result.junk.length > 5 ? ', …' : ''}`);
        if (result.indexRebuilt) processIo.out('note:      index.json was missing; rebuilt from the signed manifest');
        processIo.out(`unpacked:  ${result.contents.files} files, ${formatBytes(result.contents.bytes)} into ${result.dir}, every one verified`);
        if (result.dockerTyped.length > 0) {
          processIo.out(`note:      ${result.dockerTyped.length} ref(s) have Docker schema2 media types, which skopeo 1.9 and umoci cannot find by name in index.json (newer skopeo can): ${printable(result.dockerTyped.slice(0, 3).join(', '))}${result.dockerTyped.length > 3 ? ', …' : ''}; push them with airlock push (or serve them with airlock serve)`);
        }
      }, flags.json === true),
    );
}
