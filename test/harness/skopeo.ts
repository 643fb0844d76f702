import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';

const run = promisify(execFile);
export const SKOPEO_BIN = process.env.AIRLOCK_SKOPEO_BIN ?? '/usr/bin/skopeo';

/**
 * Runs skopeo, the independent client that cross-checks our digests. The policy is
 * made permissive and TLS verification off only because every registry in the tests is
 * ours, on 127.0.0.1.
 */
export async function skopeo(args: string[]): Promise<Buffer> {
  if (!existsSync(SKOPEO_BIN)) {
    throw new Error(`${SKOPEO_BIN} not found. Install it with: apt-get update && apt-get install -y skopeo`);
  }
  const { stdout } = await run(SKOPEO_BIN, ['--insecure-policy', ...args], {
    encoding: 'buffer',
    maxBuffer: 64 * 1024 * 1024,
  });
  return stdout;
}

/** The raw manifest bytes skopeo reads for a transport reference (`docker://…`, `oci:DIR:REF`). */
export async function rawManifest(reference: string, extra: string[] = []): Promise<Buffer> {
  const tls = reference.startsWith('docker://') ? ['--tls-verify=false'] : [];
  return skopeo(['inspect', '--raw', ...tls, ...extra, reference]);
}

/** skopeo copy --all between two transport references; plain http for docker:// on loopback. */
export async function skopeoCopy(from: string, to: string, extra: string[] = []): Promise<void> {
  const flags: string[] = [];
  if (from.startsWith('docker://')) flags.push('--src-tls-verify=false');
  if (to.startsWith('docker://')) flags.push('--dest-tls-verify=false');
  await skopeo(['copy', '--all', '--quiet', ...flags, ...extra, from, to]);
}
