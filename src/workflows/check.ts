import { openSignedBundle } from '../bundle/read.js';
import { AirlockError } from '../errors.js';
import { parseImageRef, repositoryName } from '../ref/image.js';
import { CROSS_CHECK_NOTE, listChartImages, type ChartImages, type ImageFinding } from '../chart/images.js';
import { bundleInventory, readBundleCharts, type ImageInventory } from './sources.js';

export interface CheckedFinding extends ImageFinding {
  /**
   * - `in-bundle`: the bundle holds it (`image` says which);
   * - `missing`: the bundle does not (for a map with no tag: not with the chart's appVersion either);
   * - `computed`: a template expression the chart alone cannot resolve.
   */
  status: 'in-bundle' | 'missing' | 'computed';
  /** The bundle image that serves it. */
  image?: string;
  /** The reference that matched it: `reference`, or the appVersion guess for a map with no tag. */
  matched?: string;
  /** Bundle images of the same repository with another tag or digest: the likely mix-up. */
  near?: string[];
}

export interface ChartCheck {
  chart: { name: string; version: string; origin: string };
  findings: CheckedFinding[];
  missing: number;
  templated: number;
  problems: string[];
}

/** Matches every finding of a chart against the images a bundle holds. */
export function checkImages(images: ChartImages, inventory: ImageInventory): ChartCheck {
  const findings = images.findings.map((f): CheckedFinding => {
    const candidates = f.reference !== undefined ? [f.reference] : (f.guesses ?? []);
    for (const c of candidates) {
      const hit = inventory.find(c);
      if (hit !== undefined) return { ...f, status: 'in-bundle', image: hit.name, matched: c };
    }
    if (candidates.length === 0) return { ...f, status: 'computed' };
    const repo = repositoryName(parseImageRef(candidates[0]!));
    const near = inventory.images.filter((i) => i.repository === repo).map((i) => i.name);
    return { ...f, status: 'missing', ...(near.length > 0 ? { near } : {}) };
  });
  return {
    chart: images.chart,
    findings,
    missing: findings.filter((f) => f.status === 'missing').length,
    templated: images.templated,
    problems: images.problems,
  };
}

export interface BundleCheck {
  charts: ChartCheck[];
  /** Findings in all charts that the bundle does not hold. */
  missing: number;
  note: string;
}

/**
 * `pack --check-chart-images`: reads each chart of a written bundle in place,
 * finds its images and says which of them the bundle does not carry.
 */
export async function checkBundleCharts(input: string | readonly string[]): Promise<BundleCheck> {
  const bundle = await openSignedBundle(input);
  try {
    const inventory = await bundleInventory(bundle);
    const charts = (await readBundleCharts(bundle)).map((c) => checkImages(listChartImages(c.chart), inventory));
    return { charts, missing: charts.reduce((n, c) => n + c.missing, 0), note: CROSS_CHECK_NOTE };
  } finally {
    await bundle.close();
  }
}

/** One line per image that is not in the bundle, for warnings. */
export function describeMissing(check: ChartCheck): string[] {
  return check.findings
    .filter((f) => f.status === 'missing')
    .map((f) => {
      const what = f.reference ?? `${f.written} (no tag; tried ${(f.guesses ?? []).join(', ')})`;
      const where = f.where === 'template' ? `${f.component === '' ? '' : `[${f.component}] `}${f.path}` : f.path;
      const notes = [f.disabled !== undefined ? `subchart disabled: ${f.disabled}` : '', f.near ? `the bundle has ${f.near.join(', ')}` : '']
        .filter((s) => s !== '')
        .join('; ');
      return `chart ${check.chart.name} ${check.chart.version}: ${what} (${where}) is not in the bundle${notes ? ` (${notes})` : ''}`;
    });
}

/** What `pack --check-chart-images` found, and whether `--strict` makes it a failure. */
export interface PackedChartCheck {
  report: BundleCheck;
  failed: boolean;
}

/** The error --strict turns missing chart images into; the bundle is written either way. */
export function strictFailure(report: BundleCheck): AirlockError {
  return new AirlockError('USAGE', `the charts name ${report.missing} image(s) the bundle does not carry (--strict); the bundle was written`, {
    hint: 'add them with --image (or --images FILE) and pack again, or drop --strict if the chart does not use them',
  });
}
