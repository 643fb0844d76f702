import { gatherSpec, type PackSpec } from '../bundle/spec.js';
import { AirlockError } from '../errors.js';
import { PASSPHRASE_ENV, type PrivateKey } from '../sign/index.js';
import { list } from './options.js';
import { checkReferrerTypes } from '../bundle/attached.js';
import { withImageSignatureOptions, type ImageSignatureFlags } from './image-signature-flags.js';
import { loadSigningKey } from './passphrase.js';
import type { ChartValueFlags } from './chart-flags.js';
import type { RegistryFlags } from './registry-flags.js';

export interface PackFlags extends RegistryFlags, ChartValueFlags, ImageSignatureFlags {
  spec?: string;
  image?: unknown;
  images?: unknown;
  chart?: unknown;
  chartVersion?: unknown;
  platform?: unknown;
  key?: string;
  /** cac sets this false for --no-sign. */
  sign?: boolean;
  out?: string;
  splitSize?: string;
  cache?: string;
  concurrency?: string;
  progress?: string;
  json?: boolean;
  checkChartImages?: boolean;
  strict?: boolean;
  /** cac sets this false for --no-referrers. */
  referrers?: boolean;
  referrerType?: unknown;
}

/** What to pack, how to sign and where to write: pack's own options. */
export function withPackOptions<T extends { option: (raw: string, description: string) => T }>(command: T): T {
  return withImageSignatureOptions(command)
    .option('--spec <file>', 'airlock.yaml listing images, image lists, charts and platforms')
    .option('--image <ref>', 'An image to carry (repeatable)')
    .option('--images <file>', 'A file with one image reference a line, # comments (repeatable)')
    .option('--chart <ref>', 'A chart: oci://HOST/PATH/NAME, https://REPO_URL/NAME, or a .tgz (repeatable)')
    .option('--chart-version <v>', 'The version of the --chart before it (repeatable, in the same order)')
    .option('--platform <os/arch>', 'Keep only these platforms of multi-arch images (repeatable; default: all, indexes byte-identical)')
    .option('--key <file>', `Signing key (PREFIX.key from airlock keygen; passphrase in $${PASSPHRASE_ENV})`)
    .option('--no-sign', 'Write an unsigned bundle (must be said explicitly)')
    .option('-o, --out <file>', 'The bundle file to write')
    .option('--split-size <size>', 'Split into parts of at most SIZE (e.g. 4G for FAT32, 700M): FILE.000, FILE.001, …')
    .option('--cache <dir>', 'Keep pulled content here, so a second pack of the same content downloads nothing')
    .option('--concurrency <n>', 'Parallel transfers (default 8)')
    .option('--progress <mode>', 'auto (a live line on a terminal, nothing otherwise), plain (a line every 10 s), json (one event a line), none')
    .option('--json', 'Print a machine-readable summary')
    .option('-f, --values <file>', 'With --check-chart-images: render the charts with this values file (repeatable)')
    .option('--check-chart-images', 'Then render each packed chart and list the deployed images the bundle lacks')
    .option('--no-referrers', 'Carry no signatures, attestations or SBOMs attached to the images')
    .option('--referrer-type <type>', 'Carry only these attached kinds (cosign-signature, cosign-attestation, sigstore-bundle, sbom, other) or artifactTypes (repeatable)')
    .option('--strict', 'With --check-chart-images: exit 10 if a deployed image is missing (images behind switches that are off never count)');
}

/** --no-referrers and --referrer-type, as pack's `attached` option. */
export function attachedFromFlags(flags: PackFlags): false | { types: string[] } {
  if (flags.referrers === false) return false;
  const types = list(flags.referrerType);
  checkReferrerTypes(types);
  return { types };
}

/** The spec file plus the flags, as one validated spec. */
function specFromFlags(flags: PackFlags): Promise<PackSpec> {
  return gatherSpec({
    ...(flags.spec !== undefined ? { specFile: flags.spec } : {}),
    images: list(flags.image),
    imageLists: list(flags.images),
    charts: list(flags.chart),
    chartVersions: list(flags.chartVersion),
    platforms: list(flags.platform),
  });
}

/**
 * The spec and the signing key (undefined for an unsigned bundle, which must be asked
 * for in so many words). The flags are checked before the spec is read, and the key
 * (which may ask for a passphrase) is loaded after.
 */
export async function packInputs(flags: PackFlags): Promise<{ spec: PackSpec; key: PrivateKey | undefined }> {
  if (flags.out === undefined) throw new AirlockError('USAGE', 'pack needs -o FILE', { hint: 'e.g. -o bundle.tar' });
  if (flags.sign !== false && flags.key === undefined) {
    throw new AirlockError('USAGE', 'pack needs --key to sign the bundle', { hint: 'create one with airlock keygen --out signer, or say --no-sign for an unsigned bundle' });
  }
  if (flags.sign === false && flags.key !== undefined) throw new AirlockError('USAGE', '--key and --no-sign contradict each other');
  const spec = await specFromFlags(flags);
  return { spec, key: flags.key !== undefined ? await loadSigningKey(flags.key) : undefined };
}
