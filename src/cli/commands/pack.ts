import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { CAC } from 'cac';
import { parseSize } from '../../archive/index.js';
import { defaultMtime } from '../../archive/tar-writer.js';
import { pack } from '../../bundle/pack.js';
import { loadSpec, parseImageList, validateSpec, type PackSpec } from '../../bundle/spec.js';
import { AirlockError } from '../../errors.js';
import { createUrlFetcher } from '../../helm/http.js';
import { RegistryPool } from '../../registry/index.js';
import { PASSPHRASE_ENV } from '../../sign/index.js';
import { formatBytes, list, positiveInt } from '../options.js';
import { Progress } from '../progress.js';
import { credentialsFromFlags, registryOptions, withCredentialOptions, withRegistryOptions, type RegistryFlags } from '../registry-flags.js';
import { loadSigningKey } from '../passphrase.js';
import { processIo, runAction } from '../run.js';
import { ExitCode } from '../exit.js';
import { checkPackedCharts, printChartCheck, strictFailure } from './images.js';

interface PackFlags extends RegistryFlags {
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
  json?: boolean;
  checkChartImages?: boolean;
  strict?: boolean;
}

/** The spec file plus the flags, as one validated spec; image lists read relative to where they are named. */
async function gatherSpec(flags: PackFlags): Promise<PackSpec> {
  const base = flags.spec !== undefined ? await loadSpec(flags.spec) : validateSpec({}, 'flags');
  const images = [...base.images, ...list(flags.image)];
  const lists = [
    ...base.imageLists.map((f) => (flags.spec !== undefined ? resolve(dirname(flags.spec), f) : f)),
    ...list(flags.images),
  ];
  for (const file of lists) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (cause) {
      throw new AirlockError('USAGE', `cannot read image list ${file}`, { cause, hint: 'check the --images path' });
    }
    for (const ref of parseImageList(text)) images.push(ref); // a loop: a spread of a long list overflows the stack
  }
  const charts = list(flags.chart);
  const versions = list(flags.chartVersion);
  if (versions.length > 0 && versions.length !== charts.length) {
    throw new AirlockError('USAGE', `${charts.length} --chart but ${versions.length} --chart-version`, {
      hint: 'give one --chart-version after each --chart (or write the version into an oci:// reference as :VERSION)',
    });
  }
  return validateSpec(
    {
      images,
      imageLists: [],
      charts: [...base.charts, ...charts.map((ref, i) => (versions[i] !== undefined ? { ref, version: versions[i] } : { ref }))],
      platforms: [...base.platforms, ...list(flags.platform)],
    },
    flags.spec ?? 'flags',
  );
}

export function register(cli: CAC): void {
  withCredentialOptions(withRegistryOptions(cli.command('pack', 'Pull charts and images into one signed, deterministic bundle tarball')))
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
    .option('--json', 'Print a machine-readable summary')
    .option('--check-chart-images', 'Then list, per chart, the images its values and templates name that the bundle lacks')
    .option('--strict', 'With --check-chart-images: exit 2 if a chart names an image the bundle lacks')
    .example('  airlock pack --image nginx:1.27 --chart oci://ghcr.io/org/charts/app --chart-version 1.2.3 --key signer.key -o bundle.tar')
    .example('  airlock pack --spec airlock.yaml --key signer.key -o bundle.tar --split-size 4G')
    .action((flags: PackFlags) =>
      runAction(async () => {
        if (flags.out === undefined) throw new AirlockError('USAGE', 'pack needs -o FILE', { hint: 'e.g. -o bundle.tar' });
        if (flags.sign !== false && flags.key === undefined) {
          throw new AirlockError('USAGE', 'pack needs --key to sign the bundle', { hint: 'create one with airlock keygen --out signer, or say --no-sign for an unsigned bundle' });
        }
        if (flags.sign === false && flags.key !== undefined) throw new AirlockError('USAGE', '--key and --no-sign contradict each other');
        const spec = await gatherSpec(flags);
        const key = flags.key !== undefined ? await loadSigningKey(flags.key) : undefined;
        const credentials = await credentialsFromFlags(flags);
        const options = { ...registryOptions(flags), ...(credentials ? { credentials } : {}) };
        const pool = new RegistryPool(options);
        const http = createUrlFetcher(options);
        const progress = new Progress(processIo);
        const sizes = new Map<string, number>();
        const done = new Map<string, number>();
        const items = { done: 0, total: new Set(spec.images).size + spec.charts.length };
        const controller = new AbortController();
        const stop = () => controller.abort();
        process.once('SIGINT', stop);
        try {
          const result = await pack(spec, {
            output: flags.out,
            ...(key ? { key } : {}),
            ...(flags.splitSize !== undefined ? { splitSize: parseSize(flags.splitSize) } : {}),
            ...(flags.cache !== undefined ? { cache: flags.cache } : {}),
            concurrency: positiveInt(flags.concurrency, '--concurrency') ?? 8,
            openRepository: (ref) => pool.repository(ref),
            fetchUrl: http.fetch,
            // SOURCE_DATE_EPOCH makes the bundle reproducible; without it, it records now.
            epoch: process.env.SOURCE_DATE_EPOCH ? defaultMtime() : Math.floor(Date.now() / 1000),
            signal: controller.signal,
            onEvent: (e) => {
              if (e.type === 'copy') {
                const c = e.event;
                if (c.type === 'blob-start') sizes.set(c.digest, c.size);
                if (c.type === 'blob-progress') done.set(c.digest, c.bytes);
                if (c.type === 'blob-done' || c.type === 'blob-skipped') done.set(c.digest, c.size);
                let total = 0;
                let got = 0;
                for (const [d, s] of sizes) {
                  total += s;
                  got += done.get(d) ?? 0;
                }
                progress.update('pulling', got, total, items);
              } else if (e.type === 'artifact') items.done++;
              else if (e.type === 'write') progress.update('writing', e.written, e.total);
            },
          });
          progress.done();
          // --check-chart-images: the charts' own image lists against what was packed (src/helm/check.ts).
          const charts = flags.checkChartImages || flags.strict ? await checkPackedCharts(result.files, flags) : undefined;
          if (flags.json) {
            processIo.out(JSON.stringify({ ok: charts?.failed !== true, files: result.files, bytes: result.bytes, signed: key !== undefined, artifacts: result.manifest.artifacts, ...(charts ? { chartImages: charts.report } : {}) }));
            return charts?.failed ? ExitCode.USAGE : undefined;
          }
          for (const a of result.manifest.artifacts) {
            processIo.out(`${a.kind.padEnd(5)}  ${a.name}  ${a.digest.slice(0, 19)}  ${a.platforms.join(',') || '-'}  ${formatBytes(a.size)}`);
          }
          processIo.out(`wrote ${result.files.join(', ')} (${formatBytes(result.bytes)}, ${result.manifest.files.length} files, ${key ? 'signed' : 'UNSIGNED'})`);
          if (charts) printChartCheck(charts.report, processIo);
          if (charts?.failed) throw strictFailure(charts.report);
        } finally {
          process.removeListener('SIGINT', stop);
          pool.close();
          http.close();
        }
      }, flags.json === true),
    );
}
