import type { CAC } from 'cac';
import type { PackEvent } from '../../bundle/pack.js';
import { parseSize } from '../../archive/index.js';
import { defaultMtime } from '../../archive/tar-writer.js';
import { createUrlFetcher, RegistryPool } from '../../registry/index.js';
import { packChecked } from '../../workflows/pack.js';
import { strictFailure } from '../../workflows/check.js';
import { printChartCheck } from '../chart-report.js';
import { chartValueFlags } from '../chart-flags.js';
import { ExitCode } from '../exit.js';
import { formatBytes, positiveInt } from '../options.js';
import { imageSignaturePolicy } from '../image-signature-flags.js';
import { attachedFromFlags, packInputs, withPackOptions, type PackFlags } from '../pack-flags.js';
import { packProgress, Progress } from '../progress.js';
import { credentialsFromFlags, registryOptions, withCredentialOptions, withRegistryOptions } from '../registry-flags.js';
import { processIo, runAction } from '../run.js';

/** Warnings (an attached artifact ignored) go to stderr; everything else to the progress display. */
function withWarnings(next: (e: PackEvent) => void): (e: PackEvent) => void {
  return (e) => (e.type === 'warning' ? processIo.err(`airlock: warning: ${e.message}`) : next(e));
}

export function register(cli: CAC): void {
  withPackOptions(withCredentialOptions(withRegistryOptions(cli.command('pack', 'Pull charts and images into one signed, deterministic bundle tarball'))))
    .example('  airlock pack --image nginx:1.27 --chart oci://ghcr.io/org/charts/app --chart-version 1.2.3 --key signer.key -o bundle.tar')
    .example('  airlock pack --spec airlock.yaml --key signer.key -o bundle.tar --split-size 4G')
    .action((flags: PackFlags) =>
      runAction(async () => {
        const { spec, key } = await packInputs(flags);
        const credentials = await credentialsFromFlags(flags);
        const imageSignatures = await imageSignaturePolicy(flags);
        const options = { ...registryOptions(flags), ...(credentials ? { credentials } : {}) };
        const pool = new RegistryPool(options);
        const http = createUrlFetcher(options);
        const progress = new Progress(processIo);
        const controller = new AbortController();
        const stop = () => controller.abort();
        process.once('SIGINT', stop);
        try {
          const result = await packChecked(spec, {
            output: flags.out!,
            ...(key ? { key } : {}),
            ...(flags.splitSize !== undefined ? { splitSize: parseSize(flags.splitSize) } : {}),
            ...(flags.cache !== undefined ? { cache: flags.cache } : {}),
            concurrency: positiveInt(flags.concurrency, '--concurrency') ?? 8,
            openRepository: (ref) => pool.repository(ref),
            fetchUrl: http.fetch,
            // SOURCE_DATE_EPOCH makes the bundle reproducible; without it, it records now.
            epoch: process.env.SOURCE_DATE_EPOCH ? defaultMtime() : Math.floor(Date.now() / 1000),
            signal: controller.signal,
            onEvent: withWarnings(packProgress(progress, new Set(spec.images).size + spec.charts.length)),
            attached: attachedFromFlags(flags),
            ...(imageSignatures ? { imageSignatures } : {}),
            checkChartImages: flags.checkChartImages === true,
            chartValues: chartValueFlags(flags),
            strict: flags.strict === true,
          });
          progress.done();
          const charts = result.charts;
          if (flags.json) {
            processIo.out(JSON.stringify({ ok: charts?.failed !== true, files: result.files, bytes: result.bytes, signed: key !== undefined, artifacts: result.manifest.artifacts, ...(charts ? { chartImages: charts.report } : {}) }));
            return charts?.failed ? ExitCode.CHART_IMAGES : undefined;
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
