import { readChartArchive } from './chart-files.js';
import { loadChart, renderChart, userValues, type Chart, type ChartSource, type RenderChartResult } from './render/index.js';
import type { GoMap } from './render/template/types.js';
import type { ChartRender } from './trace.js';

/** What the user gives a render: helm's -f, --set and --set-string, and the release. */
export interface UserValues {
  valuesFiles?: readonly string[];
  set?: readonly string[];
  setString?: readonly string[];
  /** Values already parsed (a bundle's stored overlay, a test), applied after the files. */
  values?: readonly GoMap[];
  releaseName?: string;
  namespace?: string;
  kubeVersion?: string;
}

export interface SessionRender extends ChartRender {
  result: RenderChartResult;
}

/**
 * One chart, loaded once, rendered as often as a workflow needs with extra values
 * layers on top of the user's (probes, switches, an overlay): images and values
 * render the same chart tens of times and must not re-read the archive each time.
 */
export interface RenderSession {
  chart: Chart;
  /** The user's values, merged in helm's order (files, then --set, then --set-string). */
  user: GoMap;
  /** Renders with `layers` after the user's values, as `helm install -f mine.yaml -f overlay.yaml` would. */
  render(...layers: Record<string, unknown>[]): Promise<SessionRender>;
  /**
   * The same without values.schema.json: probes (a marker on a registry, a switch turned
   * on to look behind it) are questions, not installs, and a schema must not hide the
   * answer. Every overlay is still proven with render(), schema and all.
   */
  probe(...layers: Record<string, unknown>[]): Promise<SessionRender>;
}

/** A chart `.tgz` or folder on disk, or its bytes (a chart layer read from a bundle or registry). */
export type ChartInput = string | { bytes: Buffer; origin: string };

export async function openRenderSession(input: ChartInput, values: UserValues = {}): Promise<RenderSession> {
  // Files in memory: every render after the first costs no file system access.
  const source: ChartSource =
    typeof input === 'string' && !/\.(tgz|tar\.gz)$/i.test(input)
      ? input
      : await readChartArchive(typeof input === 'string' ? input : input.bytes, typeof input === 'string' ? input : input.origin, { all: true }).then((f) => ({
          files: new Map([...f.files].map(([k, v]) => [k, new Uint8Array(v)])),
          origin: f.origin,
        }));
  const { chart } = await loadChart(source);
  // Files are read once; --set and --set-string are applied at each render, after every
  // layer, because helm applies them after every -f (an overlay included).
  const files = await userValues({
    ...(values.valuesFiles ? { valuesFiles: values.valuesFiles } : {}),
    ...(values.values ? { values: values.values } : {}),
  });
  const sets = { ...(values.set ? { set: values.set } : {}), ...(values.setString ? { setString: values.setString } : {}) };
  const user = await userValues({ values: [files], ...sets });
  const run = async (layers: Record<string, unknown>[], skipSchemaValidation: boolean): Promise<SessionRender> => {
    const result = await renderChart({
      skipSchemaValidation,
      chart: source,
      values: [files, ...(layers as GoMap[])],
      ...sets,
      ...(values.releaseName !== undefined ? { releaseName: values.releaseName } : {}),
      ...(values.namespace !== undefined ? { namespace: values.namespace } : {}),
      ...(values.kubeVersion !== undefined ? { kubeVersion: values.kubeVersion } : {}),
      // Generated keys and certificates do not name images; a fixed seed keeps renders comparable.
      deterministic: 'airlock',
    });
    return {
      result,
      manifests: result.documents.map((d) => ({ source: d.source, content: d.content })),
      values: result.values as Record<string, unknown>,
    };
  };
  return { chart, user, render: (...layers) => run(layers, false), probe: (...layers) => run(layers, true) };
}
