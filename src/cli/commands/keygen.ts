import type { CAC } from 'cac';
import { AirlockError } from '../../errors.js';
import { PASSPHRASE_ENV, fingerprint, generateKeyPair, keyId, parsePublicKey, writeKeyPair } from '../../sign/index.js';
import { newPassphrase } from '../passphrase.js';
import { processIo, runAction } from '../run.js';

export function register(cli: CAC): void {
  cli
    .command('keygen', 'Create an ECDSA P-256 signing key pair: PREFIX.key (PKCS#8 PEM) and PREFIX.pub')
    .option('--out <prefix>', 'Path prefix of the two files')
    .option('--encrypt', `Encrypt the private key with a passphrase ($${PASSPHRASE_ENV}, or asked on a terminal)`)
    .option('--json', 'Print the result as JSON')
    .example('  airlock keygen --out ./vendor-signer')
    .action((options: { out?: string; encrypt?: boolean; json?: boolean }) =>
      runAction(async () => {
        if (options.out === undefined || options.out === '') {
          throw new AirlockError('USAGE', 'keygen needs --out PREFIX', { hint: 'e.g. airlock keygen --out ./signer' });
        }
        const pair = await generateKeyPair(options.encrypt ? { passphrase: await newPassphrase() } : {});
        const paths = await writeKeyPair(options.out, pair);
        const id = fingerprint(keyId(parsePublicKey(pair.publicKeyPem, paths.publicKeyPath).keyObject));
        if (options.json) processIo.out(JSON.stringify({ ok: true, ...paths, fingerprint: id, encrypted: options.encrypt === true }));
        else {
          processIo.out(`private key: ${paths.privateKeyPath}${options.encrypt ? ' (encrypted)' : ''}`);
          processIo.out(`public key:  ${paths.publicKeyPath}`);
          processIo.out(`fingerprint: ${id}`);
        }
      }, options.json === true),
    );
}
