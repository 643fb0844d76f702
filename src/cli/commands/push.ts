import type { CAC } from 'cac';
import { push, type PushedItem, type PushResult } from '../../bundle/push.js';
import { ecrRegion, RegistryPool } from '../../registry/index.js';
import { mappingFromFlags, withMappingOptions, type MappingFlags } from '../mapping-flags.js';
import { bundleInput, formatBytes, positiveInt, writeOutputFile } from '../options.js';
import { Interrupt } from '../interrupt.js';
import { progressMode, withProgressOption } from '../progress.js';
import { PushWatch } from '../push-progress.js';
import { credentialsFromFlags, registryOptions, withCredentialOptions, withRegistryOptions, type RegistryFlags } from '../registry-flags.js';
import { resumeOptions, withResumeOptions, type ResumeFlags } from '../resume-flags.js';
import { processIo, runAction } from '../run.js';
import { printable } from '../text.js';
import { signaturePolicy, withSignatureOptions, type SignatureFlags } from '../signature-flags.js';

interface PushFlags extends SignatureFlags, RegistryFlags, MappingFlags, ResumeFlags {
  overwrite?: boolean;
  dryRun?: boolean;
  planFormat?: string;
  report?: string;
  concurrency?: string;
  progress?: string;
  json?: boolean;
}

function printPlan(result: PushResult, host: string, format: string | undefined): void {
  const { plan } = result;
  if (format === 'ecr') {
    const region = ecrRegion(host) ?? '<REGION>';
    for (const repo of plan.repositories) {
      processIo.out(`aws ecr create-repository --region ${region} --repository-name ${repo.slice(host.length + 1)} --image-tag-mutability IMMUTABLE`);
    }
    return;
  }
  processIo.out(`would push ${plan.items.length} artifact(s), ${formatBytes(plan.bytes)} at most, into ${plan.repositories.length} repositories:`);
  for (const i of plan.items) processIo.out(`  ${i.kind.padEnd(5)} ${printable(i.source)} -> ${printable(i.target)}`);
}

function describe(i: PushedItem): string {
  const detail = i.status === 'skipped' ? 'already there' : `${i.blobsPushed} blob(s) sent, ${i.blobsMounted} mounted, ${i.blobsSkipped} present`;
  return `${i.status.padEnd(7)} ${printable(i.target)}  ${printable(i.digest.slice(0, 19))}  (${detail})`;
}

export function register(cli: CAC): void {
  withResumeOptions(withProgressOption(withCredentialOptions(withRegistryOptions(withMappingOptions(withSignatureOptions(cli.command('push <...bundle>', 'Verify a bundle, then push every image and chart into a registry, byte for byte')))))))
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
        const { registry, mapping } = mappingFromFlags(flags, 'push');
        const policy = await signaturePolicy(flags);
        const credentials = await credentialsFromFlags(flags);
        const pool = new RegistryPool({ ...registryOptions(flags), ...(credentials ? { credentials } : {}), ...resumeOptions(flags, processIo) });
        const watch = new PushWatch(progressMode(flags.progress));
        // Ctrl-C stops the transfers and says how far the push got.
        const interrupt = new Interrupt();
        try {
          const result = await push(bundleInput(args), {
            policy, registry, mapping, signal: interrupt.signal, dryRun: flags.dryRun === true, overwrite: flags.overwrite === true,
            concurrency: positiveInt(flags.concurrency, '--concurrency') ?? 4,
            openRepository: (ref) => pool.repository(ref),
            onPlan: watch.onPlan, onEvent: watch.onEvent, onItem: watch.onItem,
          }).catch((err: unknown) => interrupt.report(err, () => watch.interrupted(), processIo, flags.json === true));
          if (typeof result === 'number') return result;
          watch.done();
          const { signers, plan, items } = result;
          if (flags.dryRun) {
            if (flags.json) processIo.out(JSON.stringify({ ok: true, dryRun: true, signers, ...plan }));
            else printPlan(result, registry.host, flags.planFormat);
            return;
          }
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
          // An error line must not land on the end of a live progress line.
          watch.done();
          interrupt.dispose();
          pool.close();
        }
      }, flags.json === true),
    );
}
