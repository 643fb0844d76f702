import { openVerifiedBundle } from '../bundle/verified.js';
import type { SignaturePolicy, Signer } from '../bundle/signers.js';
import { mapReference, parseTargetRegistry, type MappingMode, type TargetRegistry } from '../bundle/mapping.js';
import { checkPlan, plannedTarget, type PushPlan } from '../bundle/plan.js';
import { depthLimit, profileByName } from '../bundle/profiles.js';
import { analyzeChart, type ChartAnalysis } from '../chart/image-report.js';
import { imagesInManifests, type ImageUse } from '../chart/manifest-images.js';
import { openRenderSession, type RenderSession, type SessionRender, type UserValues } from '../chart/session.js';
import { formatValuesPath, setPath, useKey, type TracedUse, type ValuesPath } from '../chart/trace.js';
import { AirlockError, messageOf } from '../errors.js';
import { VERSION } from '../version.js';
import { countAttached, type AttachedCount } from '../bundle/attached-summary.js';
import { formatImageRef } from '../ref/index.js';
import { overlayText, type OverlayKey } from './overlay.js';
import { findPullSecretKeys } from './pull-secrets.js';
import { candidateEdits, chooseEdits, targetOf, unmovedUses, wideRegistryWays, type RepointTarget, type Unmoved } from './repoint.js';
import { bundleInventory, readBundleCharts, type ImageInventory } from './sources.js';

export interface ValuesRequest extends UserValues {
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
  /** Which chart of the bundle (NAME or NAME:VERSION), when it carries several. */
  chart?: string;
  /** Added to every imagePullSecrets list the chart reads. */
  pullSecrets?: readonly string[];
  /** Where the overlay will be written, for its header comment. */
  outName?: string;
}

export interface OverlayEntry {
  /** The values key set. */
  path: string;
  value: unknown;
  /** The images it moves, or why it is set. */
  note: string;
}

export interface ValuesResult {
  bundle: string;
  chart: { name: string; version: string; artifact: string };
  signers: Signer[];
  /** The overlay, as YAML with a comment per key. */
  text: string;
  entries: OverlayEntry[];
  /** The proof: renders with the user's values and the overlay, and what they pulled. */
  proof: { deployed: number; off: number; registry: string };
  /** Images behind switches that are off and that the bundle does not carry: left alone. */
  offNotInBundle: string[];
  problems: string[];
  /** Signatures, attestations, SBOMs push writes beside each image (named where push puts it). */
  attached: AttachedCount[];
}

const SECRET_NAME = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;
/** bitnami's check on substituted images; its documented switch lets the overlay's names through. */
const INSECURE_SWITCH = ['global', 'security', 'allowInsecureImages'];

function keysOf(traced: Map<string, TracedUse>): (u: ImageUse) => string[] {
  return (u) => [...new Set((traced.get(useKey(u))?.spans ?? []).map((s) => formatValuesPath(s.path)))];
}

function unmovedError(unmoved: Unmoved[], registry: string): AirlockError {
  const lines = unmoved.slice(0, 20).map((u) => `  - ${u.reference} (${u.template}: ${u.object}${u.container !== undefined ? `, container ${u.container}` : ''}${u.valuesKeys.length > 0 ? `; values ${u.valuesKeys.join(', ')}` : ''}): ${u.why}`);
  return new AirlockError('CHART_IMAGES', `the overlay cannot make ${unmoved.length} image(s) pull from ${registry}; no file was written:\n${lines.join('\n')}`, {
    hint: 'pack the missing images into the bundle, or set the listed values keys yourself in a values file given with -f',
  });
}

/** Renders with the overlay, adding the chart's documented switch when it refuses substituted images. */
async function proveRender(session: RenderSession, layers: Record<string, unknown>[], overlay: Record<string, unknown>, keys: OverlayKey[], values: Record<string, unknown>): Promise<SessionRender> {
  try {
    return await session.render(...layers, overlay);
  } catch (err) {
    if (!/allowInsecureImages/.test(messageOf(err))) throw err;
    setPath(overlay, values, INSECURE_SWITCH, true);
    keys.push({ path: INSECURE_SWITCH, note: 'the chart refuses substituted images unless told; these are the bundle\'s own images, moved by airlock' });
    return session.render(...layers, overlay);
  }
}

/** What one solve of the overlay works from. */
interface SolveContext {
  session: RenderSession;
  analysis: ChartAnalysis;
  inventory: ImageInventory;
  target: RepointTarget;
  registryText: string;
  /** Uses behind switches that the bundle holds: repointed and proven too. */
  off: TracedUse[];
  traced: Map<string, TracedUse>;
  /** Where push put the bundle image a use is served by. */
  nameOfTarget: (u: TracedUse) => string | undefined;
  /** Pull-secret keys the chart reads, with their new lists (found once, by rendering). */
  secretKeys: { path: ValuesPath; value: unknown[] }[];
  secrets: readonly string[];
}

/** The overlay for one chart: chosen edits, pull secrets, proven by rendering. */
async function buildOverlay(session: RenderSession, analysis: ChartAnalysis, inventory: ImageInventory, target: RepointTarget, registryText: string, secrets: readonly string[]): Promise<{ overlay: Record<string, unknown>; keys: OverlayKey[]; entries: OverlayEntry[]; proof: ValuesResult['proof']; offNotInBundle: string[] }> {
  const values = analysis.base.values;
  const offNotInBundle = [...new Set(analysis.off.filter((u) => inventory.find(u.reference) === undefined).map((u) => u.reference))];
  const off = analysis.off.filter((u) => inventory.find(u.reference) !== undefined);
  const missing = analysis.deployed.filter((u) => inventory.find(u.reference) === undefined);
  const traced = new Map([...analysis.deployed, ...analysis.off].map((u) => [useKey(u), u]));
  if (missing.length > 0) throw unmovedError(unmovedUses(missing, inventory, target, keysOf(traced)), registryText);

  const nameOfTarget = (u: TracedUse): string | undefined => {
    const b = inventory.find(u.reference);
    return b === undefined ? undefined : targetOf(b, target);
  };
  const needs = [...analysis.deployed, ...off].filter((u) => {
    const t = nameOfTarget(u);
    return t !== undefined && !u.reference.startsWith(`${t}:`) && !u.reference.startsWith(`${t}@`);
  });
  const ctx: SolveContext = { session, analysis, inventory, target, registryText, off, traced, nameOfTarget, secretKeys: await findPullSecretKeys(session, analysis, secrets), secrets };
  // Two tries: with the probed chart-wide keys first (fewest keys), then, when the proof
  // shows a chart-wide key overriding a per-image one it could not see, without them.
  const wide = new Map([
    ...(await wideRegistryWays((l) => session.probe(analysis.permit, l), values, analysis.deployed, nameOfTarget)),
    ...(off.length > 0 ? await wideRegistryWays((l) => session.probe(analysis.switchLayer, analysis.permit, l), values, off, nameOfTarget) : []),
  ]);
  let attempt = await solveAndProve(ctx, needs, wide);
  if (attempt.unmoved.length > 0 && wide.size > 0) attempt = await solveAndProve(ctx, needs, new Map());
  if (attempt.unmoved.length > 0) throw unmovedError(attempt.unmoved, registryText);
  return { ...attempt.built, offNotInBundle };
}

/** One solve of the overlay, and its proof by rendering; `unmoved` lists what the proof found still elsewhere. */
async function solveAndProve(
  ctx: SolveContext,
  needs: TracedUse[],
  wide: Map<string, { path: ValuesPath; value: string }[]>,
): Promise<{ built: { overlay: Record<string, unknown>; keys: OverlayKey[]; entries: OverlayEntry[]; proof: ValuesResult['proof'] }; unmoved: Unmoved[] }> {
  const { session, analysis, inventory, target, traced, off } = ctx;
  const values = analysis.base.values;
  const options = needs.map((use) => {
    const w = wide.get(`${use.template}\0${use.object}\0${use.field}`);
    return { use, ways: [...(w ? [w] : []), ...candidateEdits(use, ctx.nameOfTarget(use)!)] };
  });
  const { chosen, unresolved } = chooseEdits(options);
  const overlay: Record<string, unknown> = {};
  const keys: OverlayKey[] = [];
  const entries: OverlayEntry[] = [];
  const set = (path: ValuesPath, value: unknown, note: string): void => {
    setPath(overlay, values, path, value);
    keys.push({ path, note });
    entries.push({ path: formatValuesPath(path), value, note });
  };
  for (const c of chosen.values()) set(c.path, c.value, `moves ${[...c.images].sort().join(', ') || 'every image of the chart'}`);
  for (const s of ctx.secretKeys) set(s.path, s.value, `pull secret ${ctx.secrets.join(', ')}`);

  // The proof: render as helm install would with the overlay given last, and check
  // every image, deployed and behind switches, against where push put it.
  const deployedRender = await proveRender(session, [], overlay, keys, values);
  const deployedUses = imagesInManifests(deployedRender.manifests).uses;
  const proofFound = unmovedUses(deployedUses, inventory, target, keysOf(traced));
  let offCount = 0;
  if (off.length > 0) {
    const switched = await proveRender(session, [analysis.switchLayer], overlay, keys, values);
    const offKeys = new Set(off.map((u) => `${u.template}\0${u.object}\0${u.field}`));
    const offUses = imagesInManifests(switched.manifests).uses.filter((u) => offKeys.has(`${u.template}\0${u.object}\0${u.field}`));
    offCount = offUses.length;
    proofFound.push(...unmovedUses(offUses, inventory, target, keysOf(traced)));
  }
  for (const k of keys) if (k.path === INSECURE_SWITCH) entries.push({ path: formatValuesPath(INSECURE_SWITCH), value: true, note: k.note });
  // Images no values key could name: said so, in place of the proof's plainer line for them.
  const named = new Set(unresolved.map((u) => `${u.template}\0${u.object}\0${u.reference}`));
  const unmoved: Unmoved[] = [
    ...proofFound.filter((u) => !named.has(`${u.template}\0${u.object}\0${u.reference}`)),
    ...unresolved.map((u) => ({ reference: u.reference, template: u.template, object: u.object, ...(u.container !== undefined ? { container: u.container } : {}), valuesKeys: keysOf(traced)(u), why: 'no values key that flows into it can name the target (computed by a template)' })),
  ];
  return { built: { overlay, keys, entries, proof: { deployed: deployedUses.length, off: offCount, registry: ctx.registryText } }, unmoved };
}

/**
 * `airlock values`: the smallest values overlay that makes the chart's release pull
 * every image (deployed, in arguments and env, and behind switches that are off) from
 * where `airlock push` put it, proven by rendering the chart with the user's values
 * and the overlay. Any image it cannot move is an error naming it, and nothing is written.
 */
export async function values(input: string | readonly string[], request: ValuesRequest): Promise<ValuesResult> {
  if (request.registry === undefined && request.plan === undefined) {
    throw new AirlockError('USAGE', 'values needs --registry HOST[/PREFIX] (the same as for push), or --plan FILE');
  }
  const registry: TargetRegistry = request.plan?.registry ?? parseTargetRegistry(request.registry!);
  const registryText = [registry.host, registry.prefix].filter((p) => p !== '').join('/');
  const mapping = request.plan?.mapping.mode ?? request.mapping ?? 'nested';
  const maxDepth = request.profileName !== undefined ? depthLimit(profileByName(request.profileName), registry.prefix, request.maxDepth) : request.maxDepth;
  const depth = { ...(maxDepth !== undefined ? { maxDepth } : {}), ...(request.depthJoin !== undefined ? { join: request.depthJoin } : {}) };
  const secrets = request.pullSecrets ?? [];
  for (const s of secrets) {
    if (!SECRET_NAME.test(s)) throw new AirlockError('USAGE', `--pull-secret ${s} is not a Kubernetes secret name`, { hint: 'lowercase letters, digits, - and . (e.g. regcred)' });
  }
  const verified = await openVerifiedBundle(input, request.policy);
  try {
    // A plan for another bundle is refused before anything else is read.
    const plan = request.plan !== undefined ? checkPlan(request.plan, verified.bundle, 'the plan') : undefined;
    const charts = await readBundleCharts(verified.bundle, request.chart);
    if (charts.length === 0) throw new AirlockError('USAGE', `${verified.name} carries no chart`, { hint: 'airlock inspect lists what it holds' });
    if (charts.length > 1) {
      throw new AirlockError('USAGE', `${verified.name} carries ${charts.length} charts: say which with --chart`, {
        hint: `one of: ${charts.map((c) => `${c.artifact.chart?.name}:${c.artifact.chart?.version}`).join(', ')}`,
      });
    }
    const { artifact, archive } = charts[0]!;
    // A followed plan is push's exact mapping; otherwise the same flags push took.
    const planned = new Map(plan?.items.map((i) => [i.source, plannedTarget(i)]) ?? []);
    const target: RepointTarget = { registry, mapping, mapImage: (name) => planned.get(name) ?? mapReference(name, registry, mapping, depth) };
    const session = await openRenderSession(archive, request);
    const analysis = await analyzeChart(session, { why: true });
    const inventory = await bundleInventory(verified.bundle);
    const built = await buildOverlay(session, analysis, inventory, target, registryText, secrets);
    const mode = mapping === 'nested' ? '' : ` --${mapping}`;
    const chart = analysis.report.chart;
    const text = overlayText(built.overlay, built.keys, [
      `Values overlay for chart ${chart.name} ${chart.version} (${artifact.name}), written by airlock ${VERSION} from ${verified.name}.`,
      plan !== undefined
        ? `It repoints the chart's images to where push put them under its plan (${registryText}, profile ${plan.profile.name}).`
        : `It repoints the chart's images to where \`airlock push --registry ${registryText}${mode}\` put them.`,
      `Proven by rendering the chart with your values and this overlay: ${built.proof.deployed} deployed image(s)${built.proof.off > 0 ? ` and ${built.proof.off} behind switches that are off` : ''} pull from ${registryText}.`,
      `Give it last: helm install RELEASE CHART -f your-values.yaml -f ${request.outName ?? 'overrides.yaml'}`,
    ]);
    return {
      bundle: verified.name,
      chart: { name: chart.name, version: chart.version, artifact: artifact.name },
      signers: [...verified.signers],
      text,
      entries: built.entries,
      proof: built.proof,
      offNotInBundle: built.offNotInBundle,
      problems: analysis.report.problems,
      attached: countAttached(verified.bundle.manifest.attached ?? []).map((a) => ({ ...a, image: formatImageRef(target.mapImage!(a.image)) })),
    };
  } finally {
    await verified.close();
  }
}
