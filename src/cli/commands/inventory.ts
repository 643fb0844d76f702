import type { CAC } from 'cac';
import { inventory } from '../../bundle/inventory.js';
import { parseTargetRegistry } from '../../bundle/mapping.js';
import { receiptText } from '../../bundle/receipt.js';
import { AirlockError } from '../../errors.js';
import { RegistryPool } from '../../registry/index.js';
import { list, writeOutputFile } from '../options.js';
import { loadSigningKey } from '../passphrase.js';
import { credentialsFromFlags, registryOptions, withCredentialOptions, withRegistryOptions, type RegistryFlags } from '../registry-flags.js';
import { processIo, runAction } from '../run.js';
import { printable } from '../text.js';

interface InventoryFlags extends RegistryFlags {
  registry?: string;
  repositories?: unknown;
  fromBundle?: unknown;
  out?: string;
  key?: string;
  json?: boolean;
}

export function register(cli: CAC): void {
  withCredentialOptions(withRegistryOptions(cli.command('inventory', 'List what a registry holds (tags, manifests, blobs) as a receipt: the base of the next pack --base')))
    .option('--registry <host/prefix>', 'The registry, as given to push')
    .option('--repositories <names>', 'Repositories below the prefix to list, comma-separated (repeatable); _catalog is often disabled')
    .option('--from-bundle <bundle>', 'Look for what this bundle would push there, by HEAD (repeatable)')
    .option('-o, --out <file>', 'Where to write the inventory (JSON)')
    .option('--key <key>', 'Sign the inventory with this key')
    .option('--json', 'Print the inventory as JSON')
    .example('  airlock inventory --registry registry.internal/vendor --from-bundle platform-1.4.2.tar -o inventory.json')
    .action((flags: InventoryFlags) =>
      runAction(async () => {
        if (flags.registry === undefined) throw new AirlockError('USAGE', 'inventory needs --registry HOST[/PREFIX]');
        if (flags.out === undefined && !flags.json) throw new AirlockError('USAGE', 'inventory needs -o FILE (or --json)');
        const key = flags.key !== undefined ? await loadSigningKey(flags.key) : undefined;
        const credentials = await credentialsFromFlags(flags);
        const pool = new RegistryPool({ ...registryOptions(flags), ...(credentials ? { credentials } : {}) });
        try {
          const result = await inventory({
            registry: parseTargetRegistry(flags.registry),
            repositories: list(flags.repositories).flatMap((r) => r.split(',')).map((r) => r.trim()).filter((r) => r !== ''),
            bundles: list(flags.fromBundle),
            openRepository: (ref) => pool.repository(ref),
            created: new Date().toISOString(),
          });
          const text = receiptText(result, key);
          if (flags.out !== undefined) await writeOutputFile(flags.out, text);
          if (flags.json) {
            processIo.out(JSON.stringify(JSON.parse(text)));
            return;
          }
          const tags = result.repositories.reduce((n, r) => n + r.tags.length, 0);
          processIo.out(`inventory: ${printable(result.registry)}: ${result.repositories.length} repositories, ${tags} tags, ${result.digests.length} digests${key ? ', signed' : ''}; wrote ${flags.out}`);
        } finally {
          pool.close();
        }
      }, flags.json === true),
    );
}
