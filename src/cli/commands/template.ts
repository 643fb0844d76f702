import type { CAC } from 'cac';
import { renderChart } from '../../chart/render/index.js';
import { toJson } from '../../chart/render/tree.js';
import { list } from '../options.js';
import { processIo, runAction, type Io } from '../run.js';

export interface TemplateFlags {
  values?: unknown;
  set?: unknown;
  setString?: unknown;
  setJson?: unknown;
  setFile?: unknown;
  setLiteral?: unknown;
  releaseName?: unknown;
  namespace?: unknown;
  kubeVersion?: unknown;
  apiVersions?: unknown;
  showOnly?: unknown;
  includeCrds?: boolean;
  isUpgrade?: boolean;
  skipTests?: boolean;
  skipSchemaValidation?: boolean;
  deterministic?: unknown;
  json?: boolean;
}

/** The last value of an option given once or more (main.ts keeps option values as typed). */
function last(value: unknown): string | undefined {
  const all = list(value);
  return all.length === 0 ? undefined : all[all.length - 1];
}

/** `airlock template CHART`: renders a chart as `helm template` does and prints it. */
export async function templateCommand(chart: string, flags: TemplateFlags, io: Io, releaseName?: string): Promise<void> {
  const kubeVersion = last(flags.kubeVersion);
  const deterministic = last(flags.deterministic);
  const result = await renderChart({
    chart,
    valuesFiles: list(flags.values),
    set: list(flags.set),
    setString: list(flags.setString),
    setJson: list(flags.setJson),
    setFile: list(flags.setFile),
    setLiteral: list(flags.setLiteral),
    releaseName: releaseName ?? last(flags.releaseName) ?? 'release-name',
    namespace: last(flags.namespace) ?? 'default',
    ...(kubeVersion !== undefined ? { kubeVersion } : {}),
    apiVersions: list(flags.apiVersions).flatMap((v) => v.split(',')),
    showOnly: list(flags.showOnly),
    includeCrds: flags.includeCrds === true,
    isUpgrade: flags.isUpgrade === true,
    skipTests: flags.skipTests === true,
    skipSchemaValidation: flags.skipSchemaValidation === true,
    ...(deterministic !== undefined ? { deterministic } : {}),
  });
  if (flags.json) {
    io.out(JSON.stringify({ ok: true, chart: result.chart, documents: result.documents, notes: result.notes, values: toJson(result.values), warnings: result.warnings }));
    return;
  }
  for (const w of result.warnings) io.err(w);
  io.out(result.output.endsWith('\n') ? result.output.slice(0, -1) : result.output);
}

export function register(cli: CAC): void {
  cli
    .command('template <name-or-chart> [chart]', 'Render a chart (.tgz or folder) as helm template [NAME] CHART does, offline')
    .option('-f, --values <file>', 'A values file (repeatable, later wins)')
    .option('--set <key=value>', 'Set values as helm --set does: a.b[0].c=x,d=y (repeatable)')
    .option('--set-string <key=value>', 'As --set, every value a string (repeatable)')
    .option('--set-json <key=json>', 'Set values from JSON: a.b=[1,{"c":2}] (repeatable)')
    .option('--set-file <key=path>', 'Set a value to the text of a file (repeatable)')
    .option('--set-literal <key=value>', 'Set one value taken literally, commas and all (repeatable)')
    .option('--release-name <name>', 'The release name (default release-name)')
    .option('-n, --namespace <ns>', 'The release namespace (default default)')
    .option('--kube-version <v>', 'Capabilities.KubeVersion (default v1.36.0, as Helm 3.21)')
    .option('-a, --api-versions <g/v>', 'Add to Capabilities.APIVersions (repeatable, or comma-separated)')
    .option('-s, --show-only <path>', 'Only print documents from this template: templates/x.yaml (repeatable, globs allowed)')
    .option('--include-crds', 'Print the charts\' crds/ files first')
    .option('--is-upgrade', 'Set .Release.IsUpgrade instead of .Release.IsInstall')
    .option('--skip-tests', 'Leave out test hooks')
    .option('--skip-schema-validation', 'Do not check values against values.schema.json')
    .option('--deterministic <seed>', 'Seed random functions (randAlphaNum, uuidv4, genCA…) and fix the clock, for repeatable output')
    .option('--json', 'Print documents, notes and values as JSON')
    .example('  airlock template ./mychart-1.2.3.tgz -f prod.yaml --set image.tag=1.2.4')
    .example('  airlock template ./mychart --show-only templates/deployment.yaml')
    .action((first: string, second: string | undefined, flags: TemplateFlags) =>
      runAction(() => (second === undefined ? templateCommand(first, flags, processIo) : templateCommand(second, flags, processIo, first)), flags.json === true),
    );
}
