import type { CAC } from 'cac';
import { RegistryPool } from '../../registry/index.js';
import { images } from '../../workflows/images.js';
import { printImages } from '../chart-report.js';
import { chartValueFlags, withChartValueOptions, type ChartValueFlags } from '../chart-flags.js';
import { credentialsFromFlags, registryOptions, withCredentialOptions, withRegistryOptions, type RegistryFlags } from '../registry-flags.js';
import { processIo, runAction } from '../run.js';

interface ImagesFlags extends RegistryFlags, ChartValueFlags {
  chart?: string;
  chartVersion?: unknown;
  why?: boolean;
  json?: boolean;
}

export function register(cli: CAC): void {
  withChartValueOptions(withCredentialOptions(withRegistryOptions(cli.command('images <chart>', 'Render a chart (a .tgz, a folder, oci://, or each chart of a bundle) and list every image the release would pull'))))
    .option('--chart <name>', 'In a bundle: only this chart (NAME or NAME:VERSION)')
    .option('--chart-version <v>', 'The version of an oci:// chart')
    .option('--why', 'Also find the values keys that flow into each image (renders the chart again)')
    .option('--json', 'Print the images as JSON: {ok, errors, images: [{reference, deployed, found, chart}]}')
    .example('  airlock images ./mychart-1.2.3.tgz -f my-values.yaml --why')
    .example('  airlock images oci://ghcr.io/org/charts/app --chart-version 1.2.3')
    .example('  airlock images bundle.tar          # every chart in the bundle, each image checked against the bundle')
    .action((input: string, flags: ImagesFlags) =>
      runAction(async () => {
        const credentials = await credentialsFromFlags(flags);
        const pool = new RegistryPool({ ...registryOptions(flags), ...(credentials ? { credentials } : {}) });
        try {
          const result = await images(input, {
            ...chartValueFlags(flags),
            ...(flags.chart !== undefined ? { chart: flags.chart } : {}),
            ...(flags.chartVersion !== undefined ? { chartVersion: String(flags.chartVersion) } : {}),
            why: flags.why === true,
            openRepository: (ref) => pool.repository(ref),
          });
          if (flags.json) processIo.out(JSON.stringify(result));
          else printImages(processIo, result, flags.why === true);
          return result.ok ? undefined : 1;
        } finally {
          pool.close();
        }
      }, flags.json === true),
    );
}
