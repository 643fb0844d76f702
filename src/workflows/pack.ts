import { pack, type PackOptions, type PackResult } from '../bundle/pack.js';
import type { PackSpec } from '../bundle/spec.js';
import { checkBundleCharts, type PackedChartCheck } from './check.js';

export interface CheckedPackOptions extends PackOptions {
  /** Then find each packed chart's images and say which the bundle lacks. */
  checkChartImages?: boolean;
  /** With checkChartImages: a chart image the bundle lacks is a failure (the bundle is still written). */
  strict?: boolean;
}

export interface CheckedPackResult extends PackResult {
  charts?: PackedChartCheck;
}

/**
 * `airlock pack`, with the optional chart check: the bundle is packed and signed,
 * then (with checkChartImages or strict) each chart in it is read in place and its
 * images compared with the bundle's.
 */
export async function packChecked(spec: PackSpec, options: CheckedPackOptions): Promise<CheckedPackResult> {
  const result = await pack(spec, options);
  if (!options.checkChartImages && !options.strict) return result;
  const report = await checkBundleCharts(result.files.length === 1 ? result.files[0]! : result.files);
  return { ...result, charts: { report, failed: options.strict === true && report.missing > 0 } };
}
