import type { CAC } from 'cac';
import { parseTargetRegistry } from '../../bundle/mapping.js';
import { planPush, pushBundle, type PushedItem } from '../../bundle/push.js';
import { openSignedBundle } from '../../bundle/read.js';
import { verifySignatures } from '../../bundle/verify.js';
import { AirlockError } from '../../errors.js';
import { RegistryPool } from '../../registry/index.js';
import { bundleInput, formatBytes, mappingFromFlags, positiveInt, writeOutputFile } from '../options.js';
import { Progress } from '../progress.js';
import { credentialsFromFlags, registryOptions, withCredentialOptions, withRegistryOptions, type RegistryFlags } from '../registry-flags.js';
import { processIo, runAction } from '../run.js';
import { printable } from '../text.js';
import { signaturePolicy, withSignatureOptions, type SignatureFlags } from './verify.js';

interface PushFlags extends SignatureFlags, RegistryFlags {
  registry?: string;
  flatten?: boolean;
  keepSourceHost?: boolean;
  overwrite?: boolean;
  dryRun?: boolean;
  planFormat?: string;
  report?: string;
  concurrency?: string;
  json?: boolean;
}

export function register(cli: CAC): void {
  withCredentialOptions(withRegistryOptions(
    withSignatureOptions(cli.command('push <...bundle>', 'Verify a bundle, then push every image and chart into a registry, byte for byte')),
  ))
    .option('--registry <host/prefix>', 'Target: HOST[:PORT][/PREFIX]; SRC_HOST/PATH:TAG goes to HOST/PREFIX/PATH:TAG')
    .option('--flatten', 'Use only the last path element (registries that cannot nest)')
    .option('--keep-source-host', 'Keep the source host as a path element: HOST/PREFIX/SRC_HOST/PATH')
    .option('--overwrite', 'Move a tag that already points at other content')
    .option('--dry-run', 'Print the plan (repositories, images, bytes) and push nothing')
    .option('--plan-format <fmt>', 'With --dry-run: "text" (default), or "ecr" for aws ecr create-repository lines')
    .option('--report <file>', 'Write a JSON report: source, target, digest, pushed/skipped, blobs, bytes')
    .option('--concurrency <n>', 'Parallel transfers (default 4)')
    .option('--json', 'Print the result as JSON')
    .example('  airlock push bundle.tar --registry registry.internal/vendor --key vendor.pub')
    .example('  airlock push bundle.tar --registry 123456789012.dkr.ecr.eu-west-1.amazonaws.com/vendor --key vendor.pub --dry-run --plan-format ecr')
    .action((args: string[], flags: PushFlags) =>
      runAction(async () => {
        if (flags.registry === undefined) throw new AirlockError('USAGE', 'push needs --registry HOST[/PREFIX]');
        const registry = parseTargetRegistry(flags.registry);
        const mapping = mappingFromFlags(flags);
        const policy = await signaturePolicy(flags);
        const bundle = await openSignedBundle(bundleInput(args));
        const credentials = await credentialsFromFlags(flags);
        const pool = new RegistryPool({ ...registryOptions(flags), ...(credentials ? { credentials } : {}) });
        try {
          // Nothing is planned, let alone sent, before the signature holds.
          const signers = await verifySignatures(bundle, policy);
          const plan = planPush(bundle, { registry, mapping });
          if (flags.dryRun) {
            if (flags.json) processIo.out(JSON.stringify({ ok: true, dryRun: true, signers, ...plan }));
            else if (flags.planFormat === 'ecr') {
              const region = /\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com/.exec(registry.host)?.[1] ?? '<REGION>';
              for (const repo of plan.repositories) {
                const name = repo.slice(registry.host.length + 1);
                processIo.out(`aws ecr create-repository --region ${region} --repository-name ${name} --image-tag-mutability IMMUTABLE`);
              }
            } else {
              processIo.out(`would push ${plan.items.length} artifact(s), ${formatBytes(plan.bytes)} at most, into ${plan.repositories.length} repositories:`);
              for (const i of plan.items) processIo.out(`  ${i.kind.padEnd(5)} ${printable(i.source)} -> ${printable(i.target)}`);
            }
            return;
          }
          const progress = new Progress(processIo);
          let sent = 0;
          // Ctrl-C stops the transfers, so each open upload session is cancelled (DELETE) on the way out.
          const controller = new AbortController();
          const stop = (): void => controller.abort();
          process.once('SIGINT', stop);
          const items = await pushBundle(bundle, {
            signal: controller.signal,
            registry,
            mapping,
            overwrite: flags.overwrite === true,
            concurrency: positiveInt(flags.concurrency, '--concurrency') ?? 4,
            openRepository: (ref) => pool.repository(ref),
            onEvent: (e) => {
              if (e.type === 'blob-done') sent += e.size;
              progress.update('pushing', sent, plan.bytes);
            },
          }).finally(() => process.removeListener('SIGINT', stop));
          progress.done();
          const report = { ok: true, registry: flags.registry, signers, items };
          if (flags.report !== undefined) await writeOutputFile(flags.report, `${JSON.stringify(report, null, 2)}\n`);
          if (flags.json) {
            processIo.out(JSON.stringify(report));
            return;
          }
          for (const s of signers) processIo.out(`signed by: ${printable(`${s.id} (${s.source})`)}`);
          for (const i of items) processIo.out(describe(i));
          const bytes = items.reduce((n, i) => n + i.bytesPushed, 0);
          processIo.out(`pushed ${items.filter((i) => i.status === 'pushed').length} of ${items.length} artifact(s), ${formatBytes(bytes)} sent; every tag read back with the bundle's digest`);
        } finally {
          pool.close();
          await bundle.close();
        }
      }, flags.json === true),
    );
}

function describe(i: PushedItem): string {
  const detail = i.status === 'skipped' ? 'already there' : `${i.blobsPushed} blob(s) sent, ${i.blobsMounted} mounted, ${i.blobsSkipped} present`;
  return `${i.status.padEnd(7)} ${printable(i.target)}  ${printable(i.digest.slice(0, 19))}  (${detail})`;
}
