import { writePlan } from '../bundle/plan.js';
import { PreflightError } from '../bundle/preflight.js';
import type { PushedItem, PushPlan, PushResult } from '../bundle/push.js';
import { ecrRegion } from '../registry/index.js';
import { formatBytes } from './options.js';
import type { Io } from './run.js';
import { printable } from './text.js';

/** `--plan-format ecr`: the create-repository lines ECR needs before the first push. */
export function printEcrPlan(io: Io, plan: PushPlan): void {
  const host = plan.registry.host;
  const region = ecrRegion(host) ?? '<REGION>';
  for (const repo of plan.repositories) {
    io.out(`aws ecr create-repository --region ${region} --repository-name ${repo.slice(host.length + 1)} --image-tag-mutability IMMUTABLE`);
  }
}

/** The plan and what the preflight found, for --dry-run and --preflight. */
export function printPlan(io: Io, result: PushResult): void {
  const { plan, preflight: pf } = result;
  const profile = `${pf.profile.name} (${pf.profile.evidence})`;
  io.out(`profile: ${profile}${plan.mapping.maxDepth !== undefined ? `, at most ${plan.mapping.maxDepth} path elements` : ''}`);
  io.out(`would push ${plan.items.length} artifact(s) into ${plan.repositories.length} repositories; ${formatBytes(pf.bytesToSend)} to send (${pf.estimate === 'head-checked' ? `${pf.blobsToSend} blob(s) missing` : 'at most: a gzip bundle is not HEAD-checked'}), ${formatBytes(plan.bytes)} in the bundle:`);
  const states = new Map(pf.tags.map((t) => [t.target, t.state]));
  for (const i of plan.items) io.out(`  ${i.kind.padEnd(5)} ${printable(i.source)} -> ${printable(i.target)}${states.get(i.target) === 'same' ? '  (already there)' : ''}`);
  for (const r of pf.repositories) if (r.write !== 'skipped') io.out(`  write ${r.write.padEnd(7)} ${r.repository}`);
  for (const p of pf.projects) io.out(`  project ${p.state.padEnd(7)} ${p.project}`);
  if (pf.referrers !== undefined) io.out(`referrers API: ${pf.referrers ? 'supported' : 'not supported (signatures go under sha256-<hex> tags)'}`);
  io.out('preflight: ok, nothing sent');
}

function describe(i: PushedItem): string {
  const detail = i.status === 'skipped' ? 'already there' : `${i.blobsPushed} blob(s) sent, ${i.blobsMounted} mounted, ${i.blobsSkipped} present`;
  return `${i.status.padEnd(7)} ${printable(i.target)}  ${printable(i.digest.slice(0, 19))}  (${detail})`;
}

export function printPushed(io: Io, result: PushResult): void {
  const pf = result.preflight;
  for (const s of result.signers) io.out(`signed by: ${printable(`${s.id} (${s.source})`)}`);
  const same = pf.tags.filter((t) => t.state === 'same').length;
  io.out(`preflight: profile ${pf.profile.name} (${pf.profile.evidence}); ${same} of ${pf.tags.length} already there, ${formatBytes(pf.bytesToSend)} to send`);
  for (const i of result.items) io.out(describe(i));
  const bytes = result.items.reduce((n, i) => n + i.bytesPushed, 0);
  io.out(`pushed ${result.items.filter((i) => i.status === 'pushed').length} of ${result.items.length} artifact(s), ${formatBytes(bytes)} sent; every tag read back with the bundle's digest`);
  printAttached(io, result);
}

/** Attached artifacts per image: how many of each kind, and how each was written. */
function printAttached(io: Io, result: PushResult): void {
  const per = new Map<string, Map<string, number>>();
  for (const a of result.attached) {
    const key = `${a.repository}${a.platform !== undefined ? ` (${a.platform})` : ''}`;
    const kinds = per.get(key) ?? new Map<string, number>();
    kinds.set(`${a.kind} via ${a.via}`, (kinds.get(`${a.kind} via ${a.via}`) ?? 0) + 1);
    per.set(key, kinds);
  }
  for (const [key, kinds] of per) io.out(`attached ${printable(key)}: ${[...kinds].map(([k, n]) => `${n} ${k}`).join(', ')}`);
}

interface OutputFlags {
  plan?: string;
  planFormat?: string;
  json?: boolean;
}

/**
 * A failed --dry-run/--preflight still has a plan (the mapping holds even when the
 * registry is not ready for it): keep it, and print ECR's create lines, since missing
 * repositories are often why the preflight failed.
 */
export async function keepFailedPlan(err: unknown, flags: OutputFlags, checkOnly: boolean, io: Io): Promise<void> {
  if (!(err instanceof PreflightError) || !checkOnly) return;
  if (flags.plan !== undefined) await writePlan(flags.plan, err.plan);
  if (flags.planFormat === 'ecr') printEcrPlan(io, err.plan);
}

/** --dry-run and --preflight: the plan written, then printed in the asked form. */
export async function printCheckOnly(result: PushResult, flags: OutputFlags, io: Io): Promise<void> {
  const { signers, plan, preflight } = result;
  if (flags.plan !== undefined) await writePlan(flags.plan, plan);
  if (flags.json) io.out(JSON.stringify({ ok: true, dryRun: true, signers, ...plan, plan, preflight }));
  else if (flags.planFormat === 'ecr') printEcrPlan(io, plan);
  else printPlan(io, result);
}

/** What --report and --json carry: the plan followed, the preflight, every item and attached artifact. */
export function pushReport(result: PushResult): Record<string, unknown> {
  const { signers, plan, preflight, items, attached } = result;
  return { ok: true, registry: `${plan.registry.host}${plan.registry.prefix !== '' ? `/${plan.registry.prefix}` : ''}`, signers, plan, preflight, items, attached };
}
