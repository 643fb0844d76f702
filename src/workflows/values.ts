import { openVerifiedBundle } from '../bundle/verified.js';
import type { SignaturePolicy, Signer } from '../bundle/signers.js';
import { mapReference, parseTargetRegistry, type MappingMode, type TargetRegistry } from '../bundle/mapping.js';
import { checkPlan, plannedTarget, type PushPlan } from '../bundle/plan.js';
import { depthLimit, profileByName } from '../bundle/profiles.js';
import type { ImageRef } from '../ref/index.js';
import { resolveChart } from '../chart/components.js';
import { CROSS_CHECK_NOTE, findImages } from '../chart/images.js';
import { readValuesFiles } from '../chart/values-files.js';
import { AirlockError } from '../errors.js';
import { VERSION } from '../version.js';
import { checkImages } from './check.js';
import { buildOverlay, type Overlay } from './overlay.js';
import { bundleInventory, readBundleCharts } from './sources.js';

export interface ValuesRequest {
  /** Where push put the images: `HOST[:PORT][/PREFIX]`, as given to push (not needed with `plan`). */
  registry?: string;
  mapping?: MappingMode;
  /** `--profile`, `--max-depth`, `--depth-join` as given to push (offline: the profile is not detected). */
  profileName?: string;
  maxDepth?: number;
  depthJoin?: string;
  /** push's plan (`push --dry-run --plan FILE`): its mapping is used exactly; refused if made for another bundle. */
  plan?: PushPlan;
  /** Checked before the bundle is read: values acts on the bundle's chart and image list. */
  policy: SignaturePolicy;
  /** The user's values files: images they name are repointed too. */
  valuesFiles?: readonly string[];
  /** Which chart of the bundle (NAME or NAME:VERSION), when it carries several. */
  chart?: string;
  /** Added to every imagePullSecrets list in the values. */
  pullSecrets?: readonly string[];
  /** Where the overlay will be written, for its header comment. */
  outName?: string;
}

export interface ValuesResult {
  bundle: string;
  chart: { name: string; version: string; artifact: string };
  signers: Signer[];
  overlay: Overlay;
  problems: string[];
}

const SECRET_NAME = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

/**
 * `airlock values`: the values overlay that points a bundled chart at its images
 * where `airlock push` put them, from the bundle alone (offline), after checking the
 * bundle's signature.
 */
export async function values(input: string | readonly string[], request: ValuesRequest): Promise<ValuesResult> {
  if (request.registry === undefined && request.plan === undefined) {
    throw new AirlockError('USAGE', 'values needs --registry HOST[/PREFIX] (the same as for push), or --plan FILE');
  }
  const registry: TargetRegistry = request.plan?.registry ?? parseTargetRegistry(request.registry!);
  const mapping = request.plan?.mapping.mode ?? request.mapping ?? 'nested';
  const maxDepth = request.profileName !== undefined ? depthLimit(profileByName(request.profileName), registry.prefix, request.maxDepth) : request.maxDepth;
  const depth = { ...(maxDepth !== undefined ? { maxDepth } : {}), ...(request.depthJoin !== undefined ? { join: request.depthJoin } : {}) };
  const secrets = request.pullSecrets ?? [];
  for (const s of secrets) {
    if (!SECRET_NAME.test(s)) throw new AirlockError('USAGE', `--pull-secret ${s} is not a Kubernetes secret name`, { hint: 'lowercase letters, digits, - and . (e.g. regcred)' });
  }
  const userValues = await readValuesFiles(request.valuesFiles ?? []);
  const verified = await openVerifiedBundle(input, request.policy);
  try {
    const bundle = verified.bundle;
    const plan = request.plan !== undefined ? checkPlan(request.plan, bundle, 'the plan') : undefined;
    const planned = new Map(plan?.items.map((i) => [i.source, plannedTarget(i)]) ?? []);
    const mapImage = (name: string): ImageRef => planned.get(name) ?? mapReference(name, registry, mapping, depth);
    const charts = await readBundleCharts(bundle, request.chart);
    if (charts.length === 0) throw new AirlockError('USAGE', `${verified.name} carries no chart`, { hint: 'airlock inspect lists what it holds' });
    if (charts.length > 1) {
      throw new AirlockError('USAGE', `${verified.name} carries ${charts.length} charts: say which with --chart`, {
        hint: `one of: ${charts.map((c) => `${c.chart.name}:${c.chart.version}`).join(', ')}`,
      });
    }
    const { chart, artifact } = charts[0]!;
    const resolved = resolveChart(chart, userValues.map((v) => v.values));
    const found = findImages(resolved);
    const check = checkImages(found, await bundleInventory(bundle));
    const mode = mapping === 'nested' ? '' : ` --${mapping}`;
    const overlay = buildOverlay(resolved.values, check, {
      registry,
      mapping,
      mapImage,
      pullSecrets: [...secrets],
      header: [
        `Values overlay for chart ${chart.name} ${chart.version} (${artifact.name}), written by airlock ${VERSION} from ${verified.name}.`,
        plan !== undefined
          ? `It repoints the chart's images to where push put them under its plan (${registry.host}${registry.prefix !== '' ? `/${registry.prefix}` : ''}, profile ${plan.profile.name}).`
          : `It repoints the chart's images to where \`airlock push --registry ${request.registry}${mode}\` put them.`,
        `Give it last, after your own values: helm install RELEASE CHART -f your-values.yaml -f ${request.outName ?? 'overrides.yaml'}`,
        `Found by reading values and templates; ${CROSS_CHECK_NOTE}.`,
        ...(userValues.length > 0 ? [`Values files read: ${userValues.map((v) => v.file).join(', ')}`] : []),
      ],
    });
    return {
      bundle: verified.name,
      chart: { name: chart.name, version: chart.version, artifact: artifact.name },
      signers: [...verified.signers],
      overlay,
      problems: found.problems,
    };
  } finally {
    await verified.close();
  }
}
