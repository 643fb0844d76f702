import { AirlockError } from '../errors.js';
import type { ImageEntry, ImagesResult } from './images.js';

/** What `pack --check-chart-images` found, and whether `--strict` makes it a failure. */
export interface PackedChartCheck {
  report: ImagesResult;
  failed: boolean;
}

/** The deployed images the bundle does not hold: the ones an install would fail to pull. */
export function missingImages(report: ImagesResult): ImageEntry[] {
  return report.images.filter((i) => i.deployed && i.inBundle === false);
}

/** One line per deployed image the bundle lacks, naming where the chart uses it. */
export function describeMissing(report: ImagesResult): string[] {
  return missingImages(report).map((i) => {
    const f = i.found[0];
    const where = f === undefined ? '' : ` (${f.template}: ${f.object}${f.container !== undefined ? `, container ${f.container}` : ''})`;
    return `chart ${i.chart.name} ${i.chart.version}: ${i.reference}${where} is not in the bundle`;
  });
}

/** The error --strict turns missing chart images into; the bundle is written either way. */
export function strictFailure(report: ImagesResult): AirlockError {
  return new AirlockError('CHART_IMAGES', `the charts deploy ${report.missing} image(s) the bundle does not carry (--strict); the bundle was written`, {
    hint: 'add them with --image (or --images FILE) and pack again; images behind switches that are off are listed but never count',
  });
}
