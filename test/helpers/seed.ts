import { mkdtemp, rm, mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { create as createTar } from 'tar';
import { openLayout } from '../../src/layout/index.js';
import { skopeoCopy } from '../harness/skopeo.js';
import { writeToTarget, type Built } from './images.js';

/**
 * Puts built images into a real registry the way a user's world has them: through
 * skopeo, an independent client, from a layout we wrote (OCI-typed images only:
 * skopeo 1.9's oci: transport cannot see Docker-typed index entries).
 */
export async function seedWithSkopeo(registry: string, images: { built: Built; repo: string; tag: string }[]): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'airlock-seed-'));
  try {
    const layout = await openLayout(dir, { create: true });
    for (const { built, repo, tag } of images) {
      const name = `${repo}:${tag}`;
      await writeToTarget(layout, built, name);
      await skopeoCopy(`oci:${dir}:${name}`, `docker://${registry}/${repo}:${tag}`, ['--preserve-digests']);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** A real Helm chart archive (NAME/Chart.yaml, values.yaml, a template), as `helm package` lays it out. */
export async function makeChartTgz(dir: string, name: string, version: string, extra: Record<string, string> = {}): Promise<string> {
  const src = await mkdtemp(join(tmpdir(), 'airlock-chart-'));
  try {
    await mkdir(join(src, name, 'templates'), { recursive: true });
    const files: Record<string, string> = {
      'Chart.yaml': `apiVersion: v2\nname: ${name}\nversion: ${version}\ndescription: A test chart\nappVersion: "1.0"\ntype: application\n`,
      'values.yaml': 'image:\n  repository: ghcr.io/org/app\n  tag: v1\n',
      'templates/deployment.yaml': 'apiVersion: apps/v1\nkind: Deployment\n',
      ...extra,
    };
    for (const [path, text] of Object.entries(files)) {
      await mkdir(join(src, name, path, '..'), { recursive: true });
      await writeFile(join(src, name, path), text);
    }
    const out = join(dir, `${name}-${version}.tgz`);
    await createTar({ gzip: true, file: out, cwd: src, portable: true, mtime: new Date(0) }, [name]);
    return out;
  } finally {
    await rm(src, { recursive: true, force: true });
  }
}
