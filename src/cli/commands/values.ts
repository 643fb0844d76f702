import type { CAC } from 'cac';
import { parseTargetRegistry } from '../../bundle/mapping.js';
import { openSignedBundle } from '../../bundle/read.js';
import { verifySignatures } from '../../bundle/verify.js';
import { AirlockError } from '../../errors.js';
import { checkImages } from '../../helm/check.js';
import { resolveChart } from '../../helm/components.js';
import { CROSS_CHECK_NOTE, findImages } from '../../helm/images.js';
import { bundleInventory, readBundleCharts } from '../../helm/sources.js';
import { buildOverlay } from '../../helm/values.js';
import { VERSION } from '../../version.js';
import { bundleInput, list, mappingFromFlags, writeOutputFile } from '../options.js';
import { processIo, runAction, type Io } from '../run.js';
import { printable } from '../text.js';
import { readValuesFiles, table } from './images.js';
import { signaturePolicy, withSignatureOptions, type SignatureFlags } from './verify.js';

export interface ValuesFlags extends SignatureFlags {
  registry?: string;
  flatten?: boolean;
  keepSourceHost?: boolean;
  values?: unknown;
  chart?: string;
  pullSecret?: unknown;
  out?: string;
  json?: boolean;
}

/**
 * `airlock values BUNDLE --registry HOST[/PREFIX]`: the values overlay that
 * points a bundled chart at the images where push put them. Offline: it reads
 * the chart and the image list from the bundle. The signature is checked when
 * a key (or keyless identity) is given; push checks it in any case.
 */
export async function valuesCommand(args: string[], flags: ValuesFlags, io: Io): Promise<void> {
  if (flags.registry === undefined) throw new AirlockError('USAGE', 'values needs --registry HOST[/PREFIX] (the same as for push)');
  const registry = parseTargetRegistry(flags.registry);
  const mapping = mappingFromFlags(flags);
  const secrets = list(flags.pullSecret);
  for (const s of secrets) {
    if (!/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(s)) {
      throw new AirlockError('USAGE', `--pull-secret ${s} is not a Kubernetes secret name`, { hint: 'lowercase letters, digits, - and . (e.g. regcred)' });
    }
  }
  const checkSignature = flags.key !== undefined || flags.trustedRoot !== undefined || flags.certificateIdentity !== undefined || flags.allowUnsigned === true;
  const policy = checkSignature ? await signaturePolicy(flags) : undefined;
  const userValues = await readValuesFiles(flags.values);
  const bundle = await openSignedBundle(bundleInput(args));
  try {
    const signers = policy ? await verifySignatures(bundle, policy) : undefined;
    const charts = await readBundleCharts(bundle, flags.chart);
    if (charts.length === 0) throw new AirlockError('USAGE', `${bundle.reader.name} carries no chart`, { hint: 'airlock inspect lists what it holds' });
    if (charts.length > 1) {
      throw new AirlockError('USAGE', `${bundle.reader.name} carries ${charts.length} charts: say which with --chart`, {
        hint: `one of: ${charts.map((c) => `${c.chart.name}:${c.chart.version}`).join(', ')}`,
      });
    }
    const { chart, artifact } = charts[0]!;
    const resolved = resolveChart(chart, userValues.map((v) => v.values));
    const images = findImages(resolved);
    const check = checkImages(images, await bundleInventory(bundle));
    const mode = mapping === 'nested' ? '' : ` --${mapping}`;
    const overlay = buildOverlay(resolved.values, check, {
      registry,
      mapping,
      pullSecrets: secrets,
      header: [
        `Values overlay for chart ${chart.name} ${chart.version} (${artifact.name}), written by airlock ${VERSION} from ${bundle.reader.name}.`,
        `It repoints the chart's images to where \`airlock push --registry ${flags.registry}${mode}\` put them.`,
        `Give it last, after your own values: helm install RELEASE CHART -f your-values.yaml -f ${flags.out ?? 'overrides.yaml'}`,
        `Found by reading values and templates; ${CROSS_CHECK_NOTE}.`,
        ...(userValues.length > 0 ? [`Values files read: ${userValues.map((v) => v.file).join(', ')}`] : []),
      ],
    });
    if (flags.out !== undefined) await writeOutputFile(flags.out, overlay.text);

    if (flags.json) {
      io.out(
        JSON.stringify({
          ok: true,
          bundle: bundle.reader.name,
          chart: { name: chart.name, version: chart.version, artifact: artifact.name },
          signers: signers ?? null,
          registry: flags.registry,
          mapping,
          ...(flags.out !== undefined ? { out: flags.out } : { overlay: overlay.text }),
          entries: overlay.entries,
          pullSecrets: overlay.pullSecrets,
          skipped: overlay.skipped,
          problems: images.problems,
        }),
      );
      return;
    }
    // Without -o the overlay goes to stdout, so everything else goes to stderr.
    const say = flags.out !== undefined ? io.out : io.err;
    if (signers) for (const s of signers) say(`signed by: ${printable(`${s.id} (${s.source})`)}`);
    else say('note: signature not checked (give --key to check it; push always does)');
    const rows = [
      ...overlay.entries.map((e) => [e.path, e.source, '->', e.target]),
      ...overlay.pullSecrets.map((p) => [p, '', '+', secrets.join(', ')]),
    ];
    if (rows.length > 0) for (const line of table(rows)) say(`  ${line}`);
    for (const s of overlay.skipped) {
      const tag = s.reason === 'not-in-bundle' ? 'NOT IN BUNDLE' : s.reason === 'computed' ? 'COMPUTED' : 'TEMPLATE';
      io.err(`warning: ${tag} ${printable(`${s.path} = ${s.written}: ${s.detail}`)}`);
    }
    for (const p of images.problems) io.err(`warning: ${printable(p)}`);
    if (flags.out === undefined) io.out(overlay.text.trimEnd());
    say(
      `${flags.out !== undefined ? `wrote ${flags.out}` : 'overlay above'}: ${overlay.entries.length} image key(s) repointed, ` +
        `${overlay.pullSecrets.length} imagePullSecrets list(s), ${overlay.skipped.length} left as is`,
    );
  } finally {
    await bundle.close();
  }
}

export function register(cli: CAC): void {
  withSignatureOptions(cli.command('values <...bundle>', 'Write a values overlay that points a bundled chart at its images in your registry (offline)'))
    .option('--registry <host/prefix>', 'Where push put the images: HOST[:PORT][/PREFIX], as given to push')
    .option('--flatten', 'As push --flatten: only the last path element')
    .option('--keep-source-host', 'As push --keep-source-host: HOST/PREFIX/SRC_HOST/PATH')
    .option('--values <file>', 'Your values files: images they name are repointed too (repeatable, later wins)')
    .option('--chart <name>', 'Which chart of the bundle (NAME or NAME:VERSION), when it carries several')
    .option('--pull-secret <name>', 'Add this secret to every imagePullSecrets list in the values (repeatable)')
    .option('-o, --out <file>', 'Write the overlay here (default: print it)')
    .option('--json', 'Print the result as JSON')
    .example('  airlock values bundle.tar --registry registry.internal/vendor --pull-secret regcred -o overrides.yaml')
    .example('  helm install app chart.tgz -f my-values.yaml -f overrides.yaml')
    .action((args: string[], flags: ValuesFlags) => runAction(() => valuesCommand(args, flags, processIo), flags.json === true));
}
