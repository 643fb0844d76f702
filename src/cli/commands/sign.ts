import type { CAC } from 'cac';
import { sign } from '../../bundle/sign.js';
import { PASSPHRASE_ENV } from '../../sign/index.js';
import { AirlockError } from '../../errors.js';
import { bundleInput } from '../options.js';
import { loadSigningKey } from '../passphrase.js';
import { processIo, runAction } from '../run.js';
import { signaturePolicy } from '../signature-flags.js';

export function register(cli: CAC): void {
  cli
    .command('sign <...bundle>', 'Add your signature to a bundle (after checking every byte), so the far side can require both')
    .option('--key <file>', `Your signing key (passphrase in $${PASSPHRASE_ENV})`)
    .option('--require <pub>', 'Check that this key has signed before adding yours (repeatable)')
    .option('-o, --out <file>', 'Write the co-signed bundle here instead of replacing the input')
    .option('--json', 'Print the result as JSON')
    .example('  airlock sign bundle.tar --key security-team.key --require vendor.pub')
    .action((args: string[], flags: { key?: string; require?: unknown; out?: string; json?: boolean }) =>
      runAction(async () => {
        if (flags.key === undefined) throw new AirlockError('USAGE', 'sign needs --key KEY', { hint: 'create one with airlock keygen --out security-team' });
        const key = await loadSigningKey(flags.key);
        // Without --require the co-signer vouches for the bytes only, not for who signed first.
        const policy = flags.require === undefined ? { keys: [], anySigner: true, allowUnsigned: true } : await signaturePolicy({ key: flags.require });
        const result = await sign(bundleInput(args), key, policy, flags.out);
        if (flags.json) processIo.out(JSON.stringify({ ok: true, ...result }));
        else if (!result.added) processIo.out(`already signed by this key (${result.signature}); nothing changed`);
        else processIo.out(`added ${result.signature}; wrote ${result.files.join(', ')}`);
      }, flags.json === true),
    );
}
