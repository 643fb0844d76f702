import type { CAC } from 'cac';
import { readPlan } from '../../bundle/plan.js';
import { push } from '../../bundle/push.js';
import { RegistryPool } from '../../registry/index.js';
import { mappingFromFlags, refuseMappingFlags, withMappingOptions, type MappingFlags } from '../mapping-flags.js';
import { bundleInput, positiveInt, writeOutputFile } from '../options.js';
import { Interrupt } from '../interrupt.js';
import { progressMode, withProgressOption } from '../progress.js';
import { PushWatch } from '../push-progress.js';
import { receiptWriter, withReceiptOptions, type ReceiptFlags } from '../receipt-flags.js';
import { keepFailedPlan, printCheckOnly, printPushed, pushReport } from '../push-output.js';
import { credentialsFromFlags, registryOptions, withCredentialOptions, withRegistryOptions, type RegistryFlags } from '../registry-flags.js';
import { resumeOptions, withResumeOptions, type ResumeFlags } from '../resume-flags.js';
import { processIo, runAction } from '../run.js';
import { signaturePolicy, withSignatureOptions, type SignatureFlags } from '../signature-flags.js';
import { imageSignaturePolicy, withImageSignatureOptions, type ImageSignatureFlags } from '../image-signature-flags.js';

interface PushFlags extends SignatureFlags, ImageSignatureFlags, RegistryFlags, MappingFlags, ResumeFlags, ReceiptFlags {
  progress?: string;
  overwrite?: boolean;
  dryRun?: boolean;
  preflight?: boolean;
  createProjects?: boolean;
  planFormat?: string;
  report?: string;
  concurrency?: string;
  json?: boolean;
}

export function register(cli: CAC): void {
  withReceiptOptions(withResumeOptions(withProgressOption(withCredentialOptions(withRegistryOptions(withMappingOptions(withImageSignatureOptions(withSignatureOptions(cli.command('push <...bundle>', 'Verify a bundle, then push every image and chart into a registry, byte for byte')))))))))
    .option('--overwrite', 'Move a tag that already points at other content')
    .option('--preflight', 'Only check: tags, projects, push rights, bytes to send; every problem at once, nothing sent')
    .option('--dry-run', 'Print the plan (repositories, images, bytes) after the preflight, and push nothing')
    .option('--create-projects', 'Harbor: create missing projects (the login must be allowed to; not in a dry run)')
    .option('--plan-format <fmt>', 'With --dry-run: "text" (default), or "ecr" for aws ecr create-repository lines')
    .option('--report <file>', 'Write a JSON report: the plan followed; source, target, digest, pushed/skipped, blobs, bytes')
    .option('--concurrency <n>', 'Parallel transfers (default 4)')
    .option('--json', 'Print the result as JSON')
    .example('  airlock push bundle.tar --registry registry.internal/vendor --key vendor.pub')
    .example('  airlock push bundle.tar --registry harbor.internal/vendor --profile harbor --max-depth 2 --depth-join - --dry-run --plan plan.json --key vendor.pub')
    .action((args: string[], flags: PushFlags) =>
      runAction(async () => {
        const checkOnly = flags.dryRun === true || flags.preflight === true;
        // With --dry-run or --preflight, --plan names where the plan goes; otherwise the plan to follow.
        const followed = flags.plan !== undefined && !checkOnly ? await readPlan(flags.plan) : undefined;
        if (followed !== undefined) refuseMappingFlags(flags, followed);
        const choice = followed !== undefined ? { registry: followed.registry, mapping: followed.mapping.mode } : mappingFromFlags(flags, 'push');
        const policy = await signaturePolicy(flags);
        const writeReceipt = await receiptWriter(flags);
        const imageSignatures = await imageSignaturePolicy(flags);
        const credentials = await credentialsFromFlags(flags);
        const pool = new RegistryPool({ ...registryOptions(flags), ...(credentials ? { credentials } : {}), ...resumeOptions(flags, processIo) });
        const watch = new PushWatch(progressMode(flags.progress));
        // Ctrl-C stops the transfers and says how far the push got.
        const interrupt = new Interrupt();
        try {
          const result = await push(bundleInput(args), {
            ...choice, policy, signal: interrupt.signal, dryRun: checkOnly, overwrite: flags.overwrite === true, createProjects: flags.createProjects === true,
            ...(followed !== undefined ? { plan: followed } : {}),
            ...(imageSignatures ? { imageSignatures } : {}),
            concurrency: positiveInt(flags.concurrency, '--concurrency') ?? 4,
            openRepository: (ref) => pool.repository(ref),
            openHost: (host) => pool.harbor(host),
            onPlan: watch.onPlan, onEvent: watch.onEvent, onItem: watch.onItem,
            receipt: flags.receipt !== undefined,
          }).catch(async (err: unknown) => {
            await keepFailedPlan(err, flags, checkOnly, processIo);
            return interrupt.report(err, () => watch.interrupted(), processIo, flags.json === true);
          });
          if (typeof result === 'number') return result;
          watch.done();
          if (checkOnly) return void (await printCheckOnly(result, flags, processIo));
          const report = pushReport(result);
          if (flags.report !== undefined) await writeOutputFile(flags.report, `${JSON.stringify(report, null, 2)}\n`);
          await writeReceipt(result.receipt);
          if (flags.json) processIo.out(JSON.stringify(report));
          else printPushed(processIo, result);
        } finally {
          // An error line must not land on the end of a live progress line.
          watch.done();
          interrupt.dispose();
          pool.close();
        }
      }, flags.json === true),
    );
}
