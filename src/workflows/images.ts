import type { SourceTarget } from '../content/target.js';
import { AirlockError } from '../errors.js';
import { listChartImages, type ChartImages } from '../chart/images.js';
import { readValuesFiles } from '../chart/values-files.js';
import type { ImageRef } from '../ref/index.js';
import { checkImages, type ChartCheck } from './check.js';
import { bundleInventory, openChartInput, readBundleCharts } from './sources.js';

export interface ImagesOptions {
  /** Values files applied first, as `helm install -f` would (later wins). */
  valuesFiles?: readonly string[];
  /** In a bundle: only this chart (NAME or NAME:VERSION); for a chart, the name it must have. */
  chart?: string;
  /** For `oci://` references without a tag. */
  chartVersion?: string;
  /** Opens a registry repository (only `oci://` needs one). */
  openRepository?: (ref: ImageRef) => SourceTarget;
}

export interface ChartImagesResult {
  images: ChartImages;
  /** Present when the chart came from a bundle: each finding matched against the bundle's images. */
  check?: ChartCheck;
}

export interface ImagesResult {
  /** The bundle read, when the input was one (its signature is not checked: this only reads). */
  bundle?: string;
  charts: ChartImagesResult[];
  /** Findings the bundle does not hold (0 for a lone chart). */
  missing: number;
}

/**
 * `airlock images`: every image reference a chart (`.tgz`, folder, `oci://`) or each
 * chart of a bundle names, in its values and subcharts and literal template lines;
 * for a bundle, each checked against the images the bundle carries.
 */
export async function images(input: string, options: ImagesOptions = {}): Promise<ImagesResult> {
  const layers = (await readValuesFiles(options.valuesFiles ?? [])).map((v) => v.values);
  const opened = await openChartInput(input, {
    ...(options.chartVersion !== undefined ? { version: options.chartVersion } : {}),
    ...(options.openRepository ? { openRepository: options.openRepository } : {}),
  });
  if (opened.kind === 'chart') {
    if (options.chart !== undefined && options.chart !== opened.chart.name) {
      throw new AirlockError('USAGE', `${input} is chart ${opened.chart.name}, not ${options.chart}`, { hint: '--chart picks a chart inside a bundle' });
    }
    return { charts: [{ images: listChartImages(opened.chart, layers) }], missing: 0 };
  }
  const bundle = opened.bundle;
  try {
    const inventory = await bundleInventory(bundle);
    const charts = await readBundleCharts(bundle, options.chart);
    if (charts.length === 0) throw new AirlockError('USAGE', `${bundle.reader.name} carries no chart`, { hint: 'airlock inspect lists what it holds' });
    const results = charts.map((c): ChartImagesResult => {
      const found = listChartImages(c.chart, layers);
      return { images: found, check: checkImages(found, inventory) };
    });
    return { bundle: bundle.reader.name, charts: results, missing: results.reduce((n, r) => n + (r.check?.missing ?? 0), 0) };
  } finally {
    await bundle.close();
  }
}
