/**
 * `airlock images` on a hostile chart: a 40 MB values.yaml with 1.5 million keys
 * ran 98 s, took 4.3 GB and crashed in Math.max(...rows). Values files are now
 * bounded by size (and so their key count; alias expansion has its own budget),
 * refused in well under a second, and tables are
 * measured without spreading rows.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { table } from '../src/cli/text.js';
import { images } from '../src/workflows/images.js';
import { packageChart } from './helpers/charts.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'airlock-values-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function manyKeys(count: number): string {
  const lines: string[] = [];
  for (let i = 0; i < count; i++) lines.push(`k${i}: v`);
  return `${lines.join('\n')}\n`;
}

describe('values bounds (item 9)', () => {
  it('a chart whose 40 MB values.yaml holds 1.5 M keys is refused in seconds, naming the file', async () => {
    const values = manyKeys(1_500_000).padEnd(40 * 1024 * 1024, '#');
    const tgz = await packageChart({ name: 'huge', version: '1.0.0', values }, dir);
    const started = Date.now();
    await expect(images(tgz)).rejects.toMatchObject({ code: 'SIZE_LIMIT', message: expect.stringContaining('values.yaml') });
    expect(Date.now() - started).toBeLessThan(10_000);
  }, 60_000);

  it('tables of 1.5 M rows are measured without overflowing the stack', () => {
    const rows = [['A', 'B']];
    for (let i = 0; i < 1_500_000; i++) rows.push([`k${i}`, 'v']);
    const lines = table(rows);
    expect(lines).toHaveLength(1_500_001);
    expect(lines[1]).toBe(`k0${' '.repeat('k1499999'.length - 2)}  v`);
  });
});
