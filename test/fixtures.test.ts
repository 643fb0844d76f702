import { describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { FIXTURE_IMAGES } from '../src/demo/fixtures.js';
import { openLayout, validateLayout } from '../src/layout/index.js';
import { readChartMetadata } from '../src/chart/chart.js';
import { rawManifest } from './harness/skopeo.js';

const dir = fileURLToPath(new URL('../fixtures/', import.meta.url));

describe('fixtures/ (the demo data)', () => {
  it('is a valid OCI layout that skopeo reads, with the images the demo names', async () => {
    expect((await validateLayout(`${dir}images`)).problems).toEqual([]);
    const layout = await openLayout(`${dir}images`);
    for (const name of Object.values(FIXTURE_IMAGES)) {
      const desc = await layout.resolve(name);
      const raw = await rawManifest(`oci:${dir}images:${name}`);
      expect(`sha256:${(await import('node:crypto')).createHash('sha256').update(raw).digest('hex')}`).toBe(desc.digest);
    }
  });
  it('holds a Helm chart archive', async () => {
    expect(await readChartMetadata(`${dir}charts/demo-app-1.0.0.tgz`)).toMatchObject({ name: 'demo-app', version: '1.0.0' });
  });
});
