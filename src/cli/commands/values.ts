import type { CAC } from 'cac';
import { values } from '../../workflows/values.js';
import { chartValueFlags, withChartValueOptions, type ChartValueFlags } from '../chart-flags.js';
import { readPlan } from '../../bundle/plan.js';
import { mappingFromFlags, refuseMappingFlags, withMappingOptions, type MappingFlags } from '../mapping-flags.js';
import { bundleInput, list, writeOutputFile } from '../options.js';
import { processIo, runAction } from '../run.js';
import { signaturePolicy, withSignatureOptions, type SignatureFlags } from '../signature-flags.js';
import { printable, table } from '../text.js';

interface ValuesFlags extends SignatureFlags, MappingFlags, ChartValueFlags {
  chart?: string;
  pullSecret?: unknown;
  out?: string;
  json?: boolean;
}

export function register(cli: CAC): void {
  withChartValueOptions(withMappingOptions(withSignatureOptions(cli.command('values <...bundle>', 'Write the values overlay that makes a bundled chart pull every image from your registry, proven by rendering it (offline)'))))
    .option('--chart <name>', 'Which chart of the bundle (NAME or NAME:VERSION), when it carries several')
    .option('--pull-secret <name>', 'Add this secret to every imagePullSecrets list the chart reads (repeatable)')
    .option('-o, --out <file>', 'Write the overlay here (default: print it)')
    .option('--json', 'Print the result as JSON')
    .example('  airlock values bundle.tar --registry registry.internal/vendor --key vendor.pub -f my-values.yaml --pull-secret regcred -o overrides.yaml')
    .example('  helm install app chart.tgz -f my-values.yaml -f overrides.yaml')
    .action((args: string[], flags: ValuesFlags) =>
      runAction(async () => {
        const io = processIo;
        // With --plan, the plan is the mapping: push's exact targets.
        const plan = flags.plan !== undefined ? await readPlan(flags.plan) : undefined;
        if (plan !== undefined) refuseMappingFlags(flags, plan);
        const choice = plan !== undefined ? { plan } : { ...mappingFromFlags(flags, 'values'), registry: flags.registry! };
        const mapping = plan?.mapping.mode ?? ('mapping' in choice ? choice.mapping : 'nested');
        const result = await values(bundleInput(args), {
          ...chartValueFlags(flags),
          ...choice, policy: await signaturePolicy(flags), pullSecrets: list(flags.pullSecret),
          ...(flags.chart !== undefined ? { chart: flags.chart } : {}),
          ...(flags.out !== undefined ? { outName: flags.out } : {}),
        });
        if (flags.out !== undefined) await writeOutputFile(flags.out, result.text);
        if (flags.json) {
          const text = flags.out !== undefined ? { out: flags.out } : { overlay: result.text };
          io.out(JSON.stringify({ ok: true, ...result, text: undefined, registry: result.proof.registry, mapping, ...text }));
          return;
        }
        // Without -o the overlay goes to stdout, so everything else goes to stderr.
        const say = flags.out !== undefined ? io.out : io.err;
        for (const s of result.signers) say(`signed by: ${printable(`${s.id} (${s.source})`)}`);
        if (result.signers.length === 0) say('signature: NONE (accepted because of --allow-unsigned)');
        for (const line of table(result.entries.map((e) => [e.path, JSON.stringify(e.value), e.note]))) say(`  ${line}`);
        for (const a of result.attached) say(`attached: ${printable(`${a.image} (${a.platform}): ${Object.entries(a.kinds).map(([k, n]) => `${n} ${k}`).join(', ')}`)}`);
        for (const r of result.offNotInBundle) io.err(`note: ${printable(r)} is behind a switch that is off and not in the bundle; left as is`);
        for (const p of result.problems) io.err(`warning: ${printable(p)}`);
        if (flags.out === undefined) io.out(result.text.trimEnd());
        const { proof } = result;
        say(`${flags.out !== undefined ? `wrote ${flags.out}` : 'overlay above'}: ${result.entries.length} key(s)`);
        say(`proof: rendered with your values and the overlay, ${proof.deployed} deployed image(s)${proof.off > 0 ? ` and ${proof.off} behind switches that are off` : ''} all pull from ${proof.registry}, as push put them`);
      }, flags.json === true),
    );
}
