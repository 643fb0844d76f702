import type { ChartImages, ImageFinding } from '../chart/images.js';
import { CROSS_CHECK_NOTE } from '../chart/images.js';
import { describeMissing, type BundleCheck, type ChartCheck, type CheckedFinding } from '../workflows/check.js';
import type { Io } from './run.js';
import { printable, table } from './text.js';

/** Where a finding is, as one cell: the values path, or `[component] templates/FILE:LINE`. */
function findingPlace(f: ImageFinding): string {
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

/** One chart's findings as a table (with an IN BUNDLE column when checked against a bundle). */
export function printChart(io: Io, images: ChartImages, check?: ChartCheck): void {
  io.out(printable(`chart ${images.chart.name} ${images.chart.version} (${images.chart.origin})`));
  const subs = images.components.filter((c) => c.path !== '');
  if (subs.length > 0) {
    io.out(`  subcharts: ${printable(subs.map((c) => `${c.path} = ${c.name} ${c.version}${c.disabled ? ` (disabled: ${c.disabled})` : ''}`).join(', '))}`);
  }
  const findings: (ImageFinding | CheckedFinding)[] = check?.findings ?? images.findings;
  if (findings.length === 0) io.out('  no image references found');
  else {
    const rows = [check ? ['VALUES PATH / TEMPLATE', 'IMAGE', 'IN BUNDLE', 'NOTE'] : ['VALUES PATH / TEMPLATE', 'IMAGE', 'NOTE']];
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

export function distinctImages(findings: readonly ImageFinding[]): number {
  return new Set(findings.map((f) => f.reference).filter((r) => r !== undefined)).size;
}

/** pack --check-chart-images: a line per chart, and a warning (stderr) per chart image the bundle lacks. */
export function printChartCheck(report: BundleCheck, io: Io): void {
  for (const c of report.charts) {
    for (const p of c.problems) io.err(`warning: ${printable(p)}`);
    for (const line of describeMissing(c)) io.err(`warning: ${printable(line)}`);
    const computed = c.findings.filter((f) => f.status === 'computed').length;
    io.out(`chart ${printable(`${c.chart.name} ${c.chart.version}`)}: ${c.findings.length} image reference(s) found, ${c.missing} not in the bundle${computed > 0 ? `, ${computed} computed (not checked)` : ''}`);
  }
  if (report.charts.length > 0) io.out(`note: ${CROSS_CHECK_NOTE}`);
}
