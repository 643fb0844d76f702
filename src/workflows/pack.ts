import { pack, type PackOptions, type PackResult } from '../bundle/pack.js';
import type { PackSpec } from '../bundle/spec.js';
import type { UserValues } from '../chart/session.js';
import type { PackedChartCheck } from './check.js';
import { images } from './images.js';

export interface CheckedPackOptions extends PackOptions {
  /** Then render each packed chart and say which deployed images the bundle lacks. */
  checkChartImages?: boolean;
  /** With checkChartImages: a deployed image the bundle lacks is a failure (the bundle is still written). */
  strict?: boolean;
  /** The values the charts are rendered with (defaults otherwise). */
  chartValues?: UserValues;
}

export interface CheckedPackResult extends PackResult {
  charts?: PackedChartCheck;
}

/**
 * `airlock pack`, with the optional chart check: the bundle is packed and signed,
 * then (with checkChartImages or strict) each chart in it is rendered in place with
 * the given values and its deployed images compared with the bundle's.
 */
export async function packChecked(spec: PackSpec, options: CheckedPackOptions): Promise<CheckedPackResult> {
  const result = await pack(spec, options);
  if (!options.checkChartImages && !options.strict) return result;
  const report = await images(result.files[0]!, options.chartValues ?? {});
  return { ...result, charts: { report, failed: options.strict === true && report.missing > 0 } };
}
