import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { it } from 'vitest';
import { writeBundle, type BundleRoot } from '../src/bundle/write.js';
import { openLayout } from '../src/layout/index.js';
import { generateKeyPair, parsePrivateKey, parsePublicKey } from '../src/sign/index.js';
import { images } from '../src/workflows/images.js';
import { values } from '../src/workflows/values.js';
import { stageChart } from './helpers/charts.js';
import { makeBlob, makeImage, writeToTarget } from './helpers/images.js';

const charts = (process.env.CHARTS ?? '').split(',').filter((c) => c !== '');
it('real charts', async () => {
  const pair = await generateKeyPair();
  const key = parsePrivateKey(pair.privateKeyPem, 'k');
  const pub = parsePublicKey(pair.publicKeyPem, 'p');
  for (const c of charts) {
    const tgz = `/work/shared/charts/${c}.tgz`;
    const t0 = Date.now();
    try {
      const listed = await images(tgz, {});
      const dir = await mkdtemp(join(tmpdir(), 'rc-'));
      const staging = await openLayout(join(dir, 's'), { create: true });
      const roots: BundleRoot[] = [];
      for (const ref of new Set(listed.images.map((i) => i.reference))) {
        if (ref.includes('@')) continue; // digest-pinned: a made-up image cannot have that digest
        roots.push({ kind: 'image', source: ref, name: ref, root: await writeToTarget(staging, makeImage({ layers: [makeBlob(ref, 100)], label: ref })) });
      }
      const staged = await stageChart(staging, tgz);
      roots.push({ kind: 'chart', source: tgz, name: `charts/${staged.name}:${staged.version}`, root: staged.root, chart: { name: staged.name, version: staged.version } });
      const bundle = join(dir, 'b.tar');
      await writeBundle(staging, roots, { output: bundle, key, spec: {}, epoch: 1 });
      const r = await values(bundle, { registry: 'registry.internal/vendor', policy: { keys: [pub] }, pullSecrets: ['regcred'] });
      console.log(`${c}: ${Date.now() - t0} ms; ${r.entries.length} keys; proof ${JSON.stringify(r.proof)}; ${r.entries.map((e) => e.path).join(', ')}`);
    } catch (err) {
      console.log(`${c}: ${Date.now() - t0} ms; ERROR ${(err as Error).message.slice(0, 600)}`);
    }
  }
}, 600_000);
