import type { UserValues } from '../chart/session.js';
import { list } from './options.js';

export interface ChartValueFlags {
  values?: unknown;
  set?: unknown;
  setString?: unknown;
  releaseName?: string;
  namespace?: string;
  kubeVersion?: string;
}

/** The values a chart is rendered with, as helm takes them: the same flags for images, values and pack. */
export function withChartValueOptions<T extends { option: (raw: string, description: string) => T }>(command: T): T {
  return command
    .option('-f, --values <file>', 'A values file, as helm install -f (repeatable, later wins)')
    .option('--set <key=value>', 'A value, as helm --set (repeatable)')
    .option('--set-string <key=value>', 'A string value, as helm --set-string (repeatable)')
    .option('--release-name <name>', 'The release name templates see (default release-name)')
    .option('--namespace <ns>', 'The namespace templates see (default default)')
    .option('--kube-version <v>', 'The Kubernetes version templates see');
}

export function chartValueFlags(flags: ChartValueFlags): UserValues {
  return {
    valuesFiles: list(flags.values),
    set: list(flags.set),
    setString: list(flags.setString),
    ...(flags.releaseName !== undefined ? { releaseName: flags.releaseName } : {}),
    ...(flags.namespace !== undefined ? { namespace: flags.namespace } : {}),
    ...(flags.kubeVersion !== undefined ? { kubeVersion: flags.kubeVersion } : {}),
  };
}
