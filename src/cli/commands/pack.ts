import type { CAC } from 'cac';
import type { PackEvent } from '../../bundle/pack.js';
import { parseSize } from '../../archive/index.js';
import { defaultMtime } from '../../archive/tar-writer.js';
import { createUrlFetcher, RegistryPool, withMirrors } from '../../registry/index.js';
import { packChecked } from '../../workflows/pack.js';
import { strictFailure } from '../../workflows/check.js';
import { printChartCheck } from '../chart-report.js';
import { chartValueFlags } from '../chart-flags.js';
import { ExitCode } from '../exit.js';
import { formatBytes, list, loadPublicKeys, plainNegations, positiveInt } from '../options.js';
import { loadBase } from '../../bundle/base.js';
import { deltaSummary } from '../../bundle/delta.js';
import { imageSignaturePolicy } from '../image-signature-flags.js';
import { attachedFromFlags, packInputs, withPackOptions, type PackFlags } from '../pack-flags.js';
import { Interrupt } from '../interrupt.js';
import { mirrorRulesFromFlags, withMirrorOptions, type MirrorFlags } from '../mirror-flags.js';
import { PackWatch } from '../pack-progress.js';
import { progressMode } from '../progress.js';
import { credentialsFromFlags, registryOptions, withCredentialOptions, withRegistryOptions } from '../registry-flags.js';
import { processIo, runAction } from '../run.js';

/** Warnings (an attached artifact ignored) go to stderr; everything else to the progress display. */
function withWarnings(next: (e: PackEvent) => void): (e: PackEvent) => void {
  return (e) => (e.type === 'warning' ? processIo.err(`airlock: warning: ${e.message}`) : next(e));
}

export function register(cli: CAC): void {
  plainNegations(withMirrorOptions(withPackOptions(withCredentialOptions(withRegistryOptions(cli.command('pack', 'Pull charts and images into one signed, deterministic bundle tarball'))))))
    .example('  airlock pack --image nginx:1.27 --chart oci://ghcr.io/org/charts/app --chart-version 1.2.3 --key signer.key -o bundle.tar')
    .example('  airlock pack --spec airlock.yaml --key signer.key -o bundle.tar --split-size 4G')
    .option('--base <file>', 'Leave out blobs this holds: an earlier bundle, its airlock.json, a push receipt or an inventory (repeatable)')
    .option('--base-key <pub>', 'Require every --base to be signed by this key (repeatable)')
    .example('  airlock pack --spec airlock.yaml --key signer.key --base receipt.json -o delta.tar')
    .action((flags: PackFlags & MirrorFlags & { base?: unknown; baseKey?: unknown }) =>
      runAction(async () => {
        const { spec, key } = await packInputs(flags);
        const baseKeys = await loadPublicKeys(flags.baseKey);
        const bases = await Promise.all(list(flags.base).map((b) => loadBase(b, baseKeys)));
        const credentials = await credentialsFromFlags(flags);
        const imageSignatures = await imageSignaturePolicy(flags);
        const options = { ...registryOptions(flags), ...(credentials ? { credentials } : {}) };
        const pool = new RegistryPool(options);
        const http = createUrlFetcher(options);
        const watch = new PackWatch(progressMode(flags.progress), new Set(spec.images).size + spec.charts.length, flags.cache);
        const interrupt = new Interrupt();
        try {
          const result = await packChecked(spec, {
            output: flags.out!,
            ...(key ? { key } : {}),
            ...(flags.splitSize !== undefined ? { splitSize: parseSize(flags.splitSize) } : {}),
            ...(flags.cache !== undefined ? { cache: flags.cache } : {}),
            concurrency: positiveInt(flags.concurrency, '--concurrency') ?? 8,
            openRepository: withMirrors(await mirrorRulesFromFlags(flags), (ref) => pool.repository(ref)),
            fetchUrl: http.fetch,
            // SOURCE_DATE_EPOCH makes the bundle reproducible; without it, it records now.
            epoch: process.env.SOURCE_DATE_EPOCH ? defaultMtime() : Math.floor(Date.now() / 1000),
            signal: interrupt.signal,
            bases,
            onEvent: withWarnings(watch.onEvent),
            attached: attachedFromFlags(flags),
            ...(imageSignatures ? { imageSignatures } : {}),
            checkChartImages: flags.checkChartImages === true,
            chartValues: chartValueFlags(flags),
            strict: flags.strict === true,
          }).catch((err: unknown) => interrupt.report(err, () => watch.interrupted(), processIo, flags.json === true));
          if (typeof result === 'number') return result;
          watch.done();
          const charts = result.charts;
          if (flags.json) {
            processIo.out(JSON.stringify({ ok: charts?.failed !== true, files: result.files, bytes: result.bytes, signed: key !== undefined, artifacts: result.manifest.artifacts, ...(charts ? { chartImages: charts.report } : {}) }));
            return charts?.failed ? ExitCode.CHART_IMAGES : undefined;
          }
          for (const a of result.manifest.artifacts) {
            processIo.out(`${a.kind.padEnd(5)}  ${a.name}  ${a.digest.slice(0, 19)}  ${a.platforms.join(',') || '-'}  ${formatBytes(a.size)}`);
          }
          processIo.out(`wrote ${result.files.join(', ')} (${formatBytes(result.bytes)}, ${result.manifest.files.length} files, ${key ? 'signed' : 'UNSIGNED'})`);
          if (result.manifest.bases !== undefined) {
            const d = deltaSummary(result.manifest);
            processIo.out(`delta:  ${d.omittedFiles} blob(s), ${formatBytes(d.omittedBytes)} left out, held by ${d.bases.map((b) => `${b.kind} ${b.name} (${b.digest})`).join(', ')}`);
          }
          if (charts) printChartCheck(charts.report, processIo);
          if (charts?.failed) throw strictFailure(charts.report);
        } finally {
          watch.done();
          interrupt.dispose();
          pool.close();
          http.close();
        }
      }, flags.json === true),
    );
}
