import type { ImagesResult } from '../workflows/images.js';
import { describeMissing } from '../workflows/check.js';
import type { Io } from './run.js';
import { printable, table } from './text.js';

/** `airlock images`: one row per image, deployed first, then those behind switches that are off. */
export function printImages(io: Io, result: ImagesResult, why: boolean): void {
  const inBundle = result.bundle !== undefined;
  const head = ['IMAGE', 'DEPLOYED', ...(inBundle ? ['IN BUNDLE'] : []), 'WHERE', ...(why ? ['VALUES KEYS'] : [])];
  const rows = [head];
  for (const i of result.images) {
    const f = i.found[0];
    const where = f === undefined ? '' : `${f.template} ${f.object}${f.container !== undefined ? `/${f.container}` : ''}${f.via === 'argument' || f.via === 'env' ? ` (${f.via})` : ''}${i.found.length > 1 ? ` +${i.found.length - 1}` : ''}`;
    const deployed = i.deployed ? 'yes' : `no (${i.switch ?? 'switched off'})`;
    const keys = [...new Set(i.found.flatMap((x) => x.valuesKeys))].join(', ');
    rows.push([i.reference, deployed, ...(inBundle ? [i.inBundle ? 'yes' : i.deployed ? 'NO' : 'no'] : []), where, ...(why ? [keys] : [])]);
  }
  for (const line of table(rows)) io.out(line);
  for (const c of result.charts) {
    if (c.annotation !== undefined) {
      for (const r of c.annotation.notRendered) io.err(`note: ${printable(c.chart.name)}'s artifacthub.io/images lists ${printable(r)}, which no render shows`);
      for (const r of c.annotation.notListed) io.err(`note: ${printable(c.chart.name)} renders ${printable(r)}, which its artifacthub.io/images does not list`);
    }
    for (const p of c.problems) io.err(`warning: ${printable(p)}`);
  }
  for (const e of result.errors) io.err(`error: ${printable(e)}`);
  if (inBundle) for (const line of describeMissing(result)) io.err(`warning: ${printable(line)}`);
  const deployed = result.images.filter((i) => i.deployed).length;
  io.out(`${deployed} image(s) deployed with these values, ${result.images.length - deployed} behind switches that are off${inBundle ? `; ${result.missing} deployed image(s) not in the bundle` : ''}`);
}

/** pack --check-chart-images: the deployed images the bundle lacks, and a line per chart. */
export function printChartCheck(report: ImagesResult, io: Io): void {
  for (const line of describeMissing(report)) io.err(`warning: ${printable(line)}`);
  for (const e of report.errors) io.err(`warning: ${printable(e)}`);
  for (const c of report.charts) {
    const mine = report.images.filter((i) => i.chart.name === c.chart.name || i.chart.path !== '');
    const deployed = mine.filter((i) => i.deployed);
    io.out(`chart ${printable(`${c.chart.name} ${c.chart.version}`)}: ${deployed.length} deployed image(s), ${deployed.filter((i) => i.inBundle === false).length} not in the bundle; ${mine.length - deployed.length} behind switches that are off (not counted)`);
  }
}
