import type { CAC } from 'cac';
import { unpack } from '../../bundle/unpack.js';
import { AirlockError } from '../../errors.js';
import { bundleInput, formatBytes, list } from '../options.js';
import { processIo, runAction } from '../run.js';
import { printable } from '../text.js';
import { signaturePolicy, withSignatureOptions, type SignatureFlags } from '../signature-flags.js';

export function register(cli: CAC): void {
  withSignatureOptions(cli.command('unpack <...bundle>', 'Verify a bundle, then extract it safely into a new folder (an OCI layout)'))
    .option('-o, --out <dir>', 'Folder to create (must not exist, or be empty)')
    .option('--json', 'Print the result as JSON')
    .option('--base <bundle>', 'A delta: take the blobs it left out from this earlier bundle or folder (repeatable)')
    .example('  airlock unpack bundle.tar -o ./layout --key vendor.pub')
    .action((args: string[], flags: SignatureFlags & { out?: string; json?: boolean; base?: unknown }) =>
      runAction(async () => {
        if (flags.out === undefined) throw new AirlockError('USAGE', 'unpack needs -o DIR', { hint: 'e.g. airlock unpack bundle.tar -o ./layout --key vendor.pub' });
        const result = await unpack(bundleInput(args), flags.out, await signaturePolicy(flags), { bases: list(flags.base) });
        if (flags.json) {
          processIo.out(JSON.stringify({ ok: true, ...result }));
          return;
        }
        for (const s of result.signers) processIo.out(`signed by: ${printable(`${s.id} (${s.source})`)}`);
        if (result.signers.length === 0) processIo.out('signature: NONE (accepted because of --allow-unsigned)');
        if (result.root !== '') processIo.out(`note:      the layout was nested under ${printable(result.root)} in the archive; it is at the top of ${flags.out} now`);
        if (result.junk.length > 0) processIo.out(`note:      ignored ${result.junk.length} junk entr${result.junk.length === 1 ? 'y' : 'ies'}: ${printable(result.junk.slice(0, 5).join(', '))}${result.junk.length > 5 ? ', …' : ''}`);
        if (result.indexRebuilt) processIo.out('note:      index.json was missing; rebuilt from the signed manifest');
        processIo.out(`unpacked:  ${result.contents.files} files, ${formatBytes(result.contents.bytes)} into ${result.dir}, every one verified`);
      }, flags.json === true),
    );
}
