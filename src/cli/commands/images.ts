import type { CAC } from 'cac';
import { CROSS_CHECK_NOTE } from '../../chart/images.js';
import { RegistryPool } from '../../registry/index.js';
import { images } from '../../workflows/images.js';
import { distinctImages, printChart } from '../chart-report.js';
import { list } from '../options.js';
import { credentialsFromFlags, registryOptions, withCredentialOptions, withRegistryOptions, type RegistryFlags } from '../registry-flags.js';
import { processIo, runAction } from '../run.js';

interface ImagesFlags extends RegistryFlags {
  values?: unknown;
  chart?: string;
  chartVersion?: unknown;
  json?: boolean;
}

export function register(cli: CAC): void {
  withCredentialOptions(withRegistryOptions(cli.command('images <chart>', 'List the image references a chart and its subcharts name (a .tgz, a folder, oci://, or a bundle, offline)')))
    .option('--values <file>', 'A values file to apply first, as helm install -f would (repeatable, later wins)')
    .option('--chart <name>', 'In a bundle: only this chart (NAME or NAME:VERSION)')
    .option('--chart-version <v>', 'The version of an oci:// chart')
    .option('--json', 'Print the findings as JSON')
    .example('  airlock images ./mychart-1.2.3.tgz')
    .example('  airlock images oci://ghcr.io/org/charts/app --chart-version 1.2.3')
    .example('  airlock images bundle.tar          # every chart in the bundle, each image checked against the bundle')
    .action((input: string, flags: ImagesFlags) =>
      runAction(async () => {
        const io = processIo;
        const credentials = await credentialsFromFlags(flags);
        const pool = new RegistryPool({ ...registryOptions(flags), ...(credentials ? { credentials } : {}) });
        try {
          const result = await images(input, {
            valuesFiles: list(flags.values),
            ...(flags.chart !== undefined ? { chart: flags.chart } : {}),
            ...(flags.chartVersion !== undefined ? { chartVersion: String(flags.chartVersion) } : {}),
            openRepository: (ref) => pool.repository(ref),
          });
          if (flags.json) {
            const charts = result.charts.map((c) => c.check ?? c.images);
            io.out(JSON.stringify(result.bundle === undefined ? { ok: true, note: CROSS_CHECK_NOTE, charts } : { ok: true, bundle: result.bundle, signatureChecked: false, charts, missing: result.missing, note: CROSS_CHECK_NOTE }));
            return;
          }
          for (const c of result.charts) printChart(io, c.images, c.check);
          const all = result.charts.flatMap((c) => c.images.findings);
          io.out(`${all.length} reference(s), ${distinctImages(all)} distinct image(s)${result.bundle === undefined ? '' : `; ${result.missing} not in the bundle`}`);
          io.out(`note: ${CROSS_CHECK_NOTE}`);
          if (result.bundle !== undefined) io.out('note: read from the bundle without checking its signature; run airlock verify --key for that');
        } finally {
          pool.close();
        }
      }, flags.json === true),
    );
}
