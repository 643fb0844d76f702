import type { CAC } from 'cac';
import { readPlan } from '../../bundle/plan.js';
import { values } from '../../workflows/values.js';
import { mappingFromFlags, refuseMappingFlags, withMappingOptions, type MappingFlags } from '../mapping-flags.js';
import { bundleInput, list, writeOutputFile } from '../options.js';
import { processIo, runAction } from '../run.js';
import { signaturePolicy, withSignatureOptions, type SignatureFlags } from '../signature-flags.js';
import { table } from '../table.js';

interface ValuesFlags extends SignatureFlags, MappingFlags {
  values?: unknown;
  chart?: string;
  pullSecret?: unknown;
  out?: string;
  json?: boolean;
}

const SKIP_TAGS = { 'not-in-bundle': 'NOT IN BUNDLE', computed: 'COMPUTED', template: 'TEMPLATE' } as const;

export function register(cli: CAC): void {
  withMappingOptions(withSignatureOptions(cli.command('values <...bundle>', 'Write a values overlay that points a bundled chart at its images in your registry (offline); --registry and the mapping flags as given to push')))
    .option('--values <file>', 'Your values files: images they name are repointed too (repeatable, later wins)')
    .option('--chart <name>', 'Which chart of the bundle (NAME or NAME:VERSION), when it carries several')
    .option('--pull-secret <name>', 'Add this secret to every imagePullSecrets list in the values (repeatable)')
    .option('-o, --out <file>', 'Write the overlay here (default: print it)')
    .option('--json', 'Print the result as JSON')
    .example('  airlock values bundle.tar --registry registry.internal/vendor --key vendor.pub --pull-secret regcred -o overrides.yaml')
    .example('  helm install app chart.tgz -f my-values.yaml -f overrides.yaml')
    .action((args: string[], flags: ValuesFlags) =>
      runAction(async () => {
        const io = processIo;
        // With --plan, the plan is the mapping: push's exact targets.
        const plan = flags.plan !== undefined ? await readPlan(flags.plan) : undefined;
        if (plan !== undefined) refuseMappingFlags(flags, plan);
        const choice = plan !== undefined ? { plan } : { ...mappingFromFlags(flags, 'values'), registry: flags.registry! };
        const mapping = plan?.mapping.mode ?? ('mapping' in choice ? choice.mapping : 'nested');
        const registry = flags.registry ?? (plan !== undefined ? [plan.registry.host, plan.registry.prefix].filter((p) => p !== '').join('/') : undefined);
        const secrets = list(flags.pullSecret);
        const result = await values(bundleInput(args), {
          ...choice, policy: await signaturePolicy(flags), valuesFiles: list(flags.values), pullSecrets: secrets,
          ...(flags.chart !== undefined ? { chart: flags.chart } : {}),
          ...(flags.out !== undefined ? { outName: flags.out } : {}),
        });
        const { overlay } = result;
        if (flags.out !== undefined) await writeOutputFile(flags.out, overlay.text);
        if (flags.json) {
          const text = flags.out !== undefined ? { out: flags.out } : { overlay: overlay.text };
          io.out(JSON.stringify({ ok: true, bundle: result.bundle, chart: result.chart, signers: result.signers, registry, mapping, ...text, entries: overlay.entries, pullSecrets: overlay.pullSecrets, skipped: overlay.skipped, problems: result.problems }));
          return;
        }
        // Without -o the overlay goes to stdout, so everything else goes to stderr.
        const say = flags.out !== undefined ? io.out : io.err;
        for (const s of result.signers) say(`signed by: ${s.id} (${s.source})`);
        if (result.signers.length === 0) say('signature: NONE (accepted because of --allow-unsigned)');
        const rows = [...overlay.entries.map((e) => [e.path, e.source, '->', e.target]), ...overlay.pullSecrets.map((p) => [p, '', '+', secrets.join(', ')])];
        for (const line of table(rows)) say(`  ${line}`);
        for (const s of overlay.skipped) io.err(`warning: ${SKIP_TAGS[s.reason]} ${s.path} = ${s.written}: ${s.detail}`);
        for (const p of result.problems) io.err(`warning: ${p}`);
        if (flags.out === undefined) io.out(overlay.text.trimEnd());
        say(
          `${flags.out !== undefined ? `wrote ${flags.out}` : 'overlay above'}: ${overlay.entries.length} image key(s) repointed, ` +
            `${overlay.pullSecrets.length} imagePullSecrets list(s), ${overlay.skipped.length} left as is`,
        );
      }, flags.json === true),
    );
}
