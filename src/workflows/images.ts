import type { SourceTarget } from '../content/target.js';
import { AirlockError, messageOf } from '../errors.js';
import { analyzeChart, type ChartImage, type ImageReport } from '../chart/image-report.js';
import { openRenderSession, type UserValues } from '../chart/session.js';
import type { ImageRef } from '../ref/index.js';
import { bundleInventory, openChartInput, readBundleCharts, type ImageInventory } from './sources.js';

export interface ImagesOptions extends UserValues {
  /** In a bundle: only this chart (NAME or NAME:VERSION). */
  chart?: string;
  /** For `oci://` references without a tag. */
  chartVersion?: string;
  /** Opens a registry repository (only `oci://` needs one). */
  openRepository?: (ref: ImageRef) => SourceTarget;
  /** Trace the values keys of every image (`--why`): a few more renders. */
  why?: boolean;
}

/** One image of the JSON contract (`airlock images --json`), kept stable for scripts. */
export interface ImageEntry extends ChartImage {
  /** Whether the bundle holds it; only when the input was a bundle. */
  inBundle?: boolean;
}

export interface ImagesResult {
  ok: boolean;
  errors: string[];
  /** The bundle read, when the input was one (its signature is not checked: this only reads). */
  bundle?: string;
  images: ImageEntry[];
  /** Per chart: the annotation cross-check and what could not be rendered. */
  charts: Omit<ImageReport, 'images'>[];
  /** Deployed images the bundle does not hold (0 for a lone chart). */
  missing: number;
}

function withBundle(report: ImageReport, inventory: ImageInventory | undefined): ImageEntry[] {
  return report.images.map((i) => (inventory === undefined ? i : { ...i, inBundle: inventory.find(i.reference) !== undefined }));
}

/**
 * `airlock images`: renders the chart with the user's values, as helm would, and lists
 * every image the release would run (deployed) and every image behind a switch that is
 * off (not deployed, with the switch), each with where it was found. For a bundle, each
 * chart in it, and each image checked against what the bundle carries.
 */
export async function images(input: string, options: ImagesOptions = {}): Promise<ImagesResult> {
  const opened = await openChartInput(input, {
    ...(options.chartVersion !== undefined ? { version: options.chartVersion } : {}),
    ...(options.openRepository ? { openRepository: options.openRepository } : {}),
  });
  const analyze = async (chart: Parameters<typeof openRenderSession>[0]): Promise<ImageReport> =>
    (await analyzeChart(await openRenderSession(chart, options), { why: options.why === true })).report;
  if (opened.kind === 'chart') {
    const report = await analyze(opened.chart);
    if (options.chart !== undefined && options.chart !== report.chart.name) {
      throw new AirlockError('USAGE', `${input} is chart ${report.chart.name}, not ${options.chart}`, { hint: '--chart picks a chart inside a bundle' });
    }
    const { images: list, ...rest } = report;
    return { ok: true, errors: [], images: withBundle(report, undefined), charts: [rest], missing: 0 };
  }
  const bundle = opened.bundle;
  try {
    const inventory = await bundleInventory(bundle);
    const charts = await readBundleCharts(bundle, options.chart);
    if (charts.length === 0) throw new AirlockError('USAGE', `${bundle.reader.name} carries no chart`, { hint: 'airlock inspect lists what it holds' });
    const all: ImageEntry[] = [];
    const reports: Omit<ImageReport, 'images'>[] = [];
    const errors: string[] = [];
    for (const c of charts) {
      try {
        const report = await analyze(c.archive);
        const { images: list, ...rest } = report;
        reports.push(rest);
        all.push(...withBundle(report, inventory));
      } catch (err) {
        errors.push(`${c.artifact.name}: ${messageOf(err)}`);
      }
    }
    const missing = all.filter((i) => i.deployed && i.inBundle === false).length;
    return { ok: errors.length === 0, errors, bundle: bundle.reader.name, images: all, charts: reports, missing };
  } finally {
    await bundle.close();
  }
}
