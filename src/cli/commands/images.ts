import { readFile } from 'node:fs/promises';
import type { CAC } from 'cac';
import { AirlockError, messageOf } from '../../errors.js';
import { checkBundleCharts, checkImages, describeMissing, type BundleCheck, type ChartCheck, type CheckedFinding } from '../../helm/check.js';
import { CROSS_CHECK_NOTE, listChartImages, type ChartImages, type ImageFinding } from '../../helm/images.js';
import { bundleInventory, openChartInput, readBundleCharts } from '../../helm/sources.js';
import { parseValuesYaml, type Values } from '../../helm/values-tree.js';
import { RegistryPool } from '../../registry/index.js';
import { list } from '../options.js';
import { credentialsFromFlags, registryOptions, withCredentialOptions, withRegistryOptions, type RegistryFlags } from '../registry-flags.js';
import { processIo, runAction, type Io } from '../run.js';
import { printable, table } from '../text.js';

export interface ImagesFlags extends RegistryFlags {
  values?: unknown;
  chart?: string;
  chartVersion?: unknown;
  json?: boolean;
}

/** `--values FILE` (repeatable), read and parsed; later files win, as with helm. */
export async function readValuesFiles(paths: unknown): Promise<{ file: string; values: Values }[]> {
  const out: { file: string; values: Values }[] = [];
  for (const file of list(paths)) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (cause) {
      throw new AirlockError('USAGE', `cannot read values file ${file}: ${messageOf(cause)}`, { cause, hint: 'check the --values path' });
    }
    try {
      out.push({ file, values: parseValuesYaml(text, file) });
    } catch (err) {
      // The user's own file: a usage problem, not a damaged archive.
      if (err instanceof AirlockError) throw new AirlockError('USAGE', err.message, { hint: 'fix the values file', cause: err });
      throw err;
    }
  }
  return out;
}

export { table };

/** Where a finding is, as one cell: the values path, or `[component] templates/FILE:LINE`. */
export function findingPlace(f: ImageFinding): string {
  return f.where === 'template' ? `${f.component === '' ? '' : `[${f.component}] `}${f.path}` : f.path;
}

function findingNote(f: ImageFinding | CheckedFinding): string {
  const notes: string[] = [];
  if (f.computed !== undefined) notes.push(`COMPUTED: ${f.computed}${f.guesses ? ` (likely ${f.guesses[0]})` : ''}`);
  if (f.where === 'template') notes.push('literal in a template');
  if (f.component !== '' && f.where === 'values') notes.push(`${f.chart.name} ${f.chart.version}${f.chart.alias ? ` as ${f.chart.alias}` : ''}`);
  if (f.disabled !== undefined) notes.push(`disabled: ${f.disabled}`);
  if ('near' in f && f.near) notes.push(`bundle has ${f.near.join(', ')}`);
  return notes.join('; ');
}

function printChart(io: Io, images: ChartImages, check?: ChartCheck): void {
  io.out(printable(`chart ${images.chart.name} ${images.chart.version} (${images.chart.origin})`));
  const subs = images.components.filter((c) => c.path !== '');
  if (subs.length > 0) {
    io.out(`  subcharts: ${printable(subs.map((c) => `${c.path} = ${c.name} ${c.version}${c.disabled ? ` (disabled: ${c.disabled})` : ''}`).join(', '))}`);
  }
  const findings: (ImageFinding | CheckedFinding)[] = check?.findings ?? images.findings;
  if (findings.length === 0) io.out('  no image references found');
  else {
    const head = check ? ['VALUES PATH / TEMPLATE', 'IMAGE', 'IN BUNDLE', 'NOTE'] : ['VALUES PATH / TEMPLATE', 'IMAGE', 'NOTE'];
    const rows = [head];
    for (const f of findings) {
      const image = f.reference ?? f.written;
      const status = 'status' in f ? (f.status === 'in-bundle' ? 'yes' : f.status === 'missing' ? 'NO' : '?') : undefined;
      rows.push(status !== undefined ? [findingPlace(f), image, status, findingNote(f)] : [findingPlace(f), image, findingNote(f)]);
    }
    for (const line of table(rows)) io.out(`  ${line}`);
  }
  if (images.templated > 0) io.out(`  ${images.templated} image: line(s) in templates are computed from values (checked through the values they read)`);
  for (const p of images.problems) io.err(`warning: ${printable(p)}`);
  if (check) for (const line of describeMissing(check)) io.err(`warning: ${printable(line)}`);
}

function distinct(findings: readonly ImageFinding[]): number {
  return new Set(findings.map((f) => f.reference).filter((r) => r !== undefined)).size;
}

/** `airlock images CHART|BUNDLE`: lists every image reference a chart names. */
export async function imagesCommand(input: string, flags: ImagesFlags, io: Io): Promise<void> {
  const userValues = await readValuesFiles(flags.values);
  const credentials = await credentialsFromFlags(flags);
  const pool = new RegistryPool({ ...registryOptions(flags), ...(credentials ? { credentials } : {}) });
  try {
    const opened = await openChartInput(input, {
      ...(flags.chartVersion !== undefined ? { version: String(flags.chartVersion) } : {}),
      openRepository: (ref) => pool.repository(ref),
    });
    const layers = userValues.map((v) => v.values);
    if (opened.kind === 'chart') {
      if (flags.chart !== undefined && flags.chart !== opened.chart.name) {
        throw new AirlockError('USAGE', `${input} is chart ${opened.chart.name}, not ${flags.chart}`, { hint: '--chart picks a chart inside a bundle' });
      }
      const images = listChartImages(opened.chart, layers);
      if (flags.json) {
        io.out(JSON.stringify({ ok: true, note: CROSS_CHECK_NOTE, charts: [images] }));
        return;
      }
      printChart(io, images);
      io.out(`${images.findings.length} reference(s), ${distinct(images.findings)} distinct image(s)`);
      io.out(`note: ${CROSS_CHECK_NOTE}`);
      return;
    }
    const bundle = opened.bundle;
    try {
      const inventory = await bundleInventory(bundle);
      const charts = await readBundleCharts(bundle, flags.chart);
      if (charts.length === 0) throw new AirlockError('USAGE', `${bundle.reader.name} carries no chart`, { hint: 'airlock inspect lists what it holds' });
      const results = charts.map((c) => {
        const images = listChartImages(c.chart, layers);
        return { images, check: checkImages(images, inventory) };
      });
      const report: BundleCheck = { charts: results.map((r) => r.check), missing: results.reduce((n, r) => n + r.check.missing, 0), note: CROSS_CHECK_NOTE };
      if (flags.json) {
        io.out(JSON.stringify({ ok: true, bundle: bundle.reader.name, signatureChecked: false, ...report }));
        return;
      }
      for (const r of results) printChart(io, r.images, r.check);
      const all = results.flatMap((r) => r.images.findings);
      io.out(`${all.length} reference(s), ${distinct(all)} distinct image(s); ${report.missing} not in the bundle`);
      io.out(`note: ${CROSS_CHECK_NOTE}`);
      io.out('note: read from the bundle without checking its signature; run airlock verify --key for that');
    } finally {
      await bundle.close();
    }
  } finally {
    pool.close();
  }
}

export function register(cli: CAC): void {
  withCredentialOptions(withRegistryOptions(cli.command('images <chart>', 'List the image references a chart and its subcharts name (a .tgz, a folder, oci://, or a bundle, offline)')))
    .option('--values <file>', 'A values file to apply first, as helm install -f would (repeatable, later wins)')
    .option('--chart <name>', 'In a bundle: only this chart (NAME or NAME:VERSION)')
    .option('--chart-version <v>', 'The version of an oci:// chart')
    .option('--json', 'Print the findings as JSON')
    .example('  airlock images ./mychart-1.2.3.tgz')
    .example('  airlock images oci://ghcr.io/org/charts/app --chart-version 1.2.3')
    .example('  airlock images bundle.tar          # every chart in the bundle, each image checked against the bundle')
    .action((input: string, flags: ImagesFlags) => runAction(() => imagesCommand(input, flags, processIo), flags.json === true));
}

/**
 * `pack --check-chart-images [--strict]`: runs the check on the written bundle.
 * Returns the JSON-able report and whether --strict makes it a failure (the
 * bundle is written either way).
 */
export async function checkPackedCharts(files: readonly string[], flags: { strict?: boolean }): Promise<{ report: BundleCheck; failed: boolean }> {
  const report = await checkBundleCharts(files.length === 1 ? files[0]! : files);
  return { report, failed: flags.strict === true && report.missing > 0 };
}

/** A line per chart, and a warning (stderr) per chart image the bundle lacks. */
export function printChartCheck(report: BundleCheck, io: Io): void {
  for (const c of report.charts) {
    for (const p of c.problems) io.err(`warning: ${printable(p)}`);
    for (const line of describeMissing(c)) io.err(`warning: ${printable(line)}`);
    const computed = c.findings.filter((f) => f.status === 'computed').length;
    io.out(`chart ${printable(`${c.chart.name} ${c.chart.version}`)}: ${c.findings.length} image reference(s) found, ${c.missing} not in the bundle${computed > 0 ? `, ${computed} computed (not checked)` : ''}`);
  }
  if (report.charts.length > 0) io.out(`note: ${CROSS_CHECK_NOTE}`);
}

/** The error --strict turns missing chart images into. */
export function strictFailure(report: BundleCheck): AirlockError {
  return new AirlockError('USAGE', `the charts name ${report.missing} image(s) the bundle does not carry (--strict); the bundle was written`, {
    hint: 'add them with --image (or --images FILE) and pack again, or drop --strict if the chart does not use them',
  });
}
