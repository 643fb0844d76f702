import jsyaml from 'js-yaml';
import { AirlockError } from '../../errors.js';

/**
 * What Helm does with rendered files before printing (pkg/releaseutil): split
 * each file into YAML documents, keep the non-blank ones, read each one's kind
 * and annotations, put hooks aside, and order the rest by kind (InstallOrder;
 * unknown kinds last, alphabetically; stable otherwise).
 */

export const INSTALL_ORDER = [
  'PriorityClass', 'Namespace', 'NetworkPolicy', 'ResourceQuota', 'LimitRange', 'PodSecurityPolicy', 'PodDisruptionBudget',
  'ServiceAccount', 'Secret', 'SecretList', 'ConfigMap', 'StorageClass', 'PersistentVolume', 'PersistentVolumeClaim',
  'CustomResourceDefinition', 'ClusterRole', 'ClusterRoleList', 'ClusterRoleBinding', 'ClusterRoleBindingList', 'Role',
  'RoleList', 'RoleBinding', 'RoleBindingList', 'Service', 'DaemonSet', 'Pod', 'ReplicationController', 'ReplicaSet',
  'Deployment', 'HorizontalPodAutoscaler', 'StatefulSet', 'Job', 'CronJob', 'IngressClass', 'Ingress', 'APIService',
];
const RANK = new Map(INSTALL_ORDER.map((k, i) => [k, i]));

const HOOK_EVENTS = new Set(['pre-install', 'post-install', 'pre-delete', 'post-delete', 'pre-upgrade', 'post-upgrade', 'pre-rollback', 'post-rollback', 'test', 'test-success']);

export interface Manifest {
  /** The template it came from: `mychart/templates/deployment.yaml`. */
  source: string;
  content: string;
  kind: string;
  apiVersion: string;
  name: string;
}

export interface Hook extends Manifest {
  events: string[];
  weight: number;
}

/**
 * SplitManifests: Helm's regexp, with Go's `\s` (ASCII spaces only), then each
 * piece trimmed and blank ones dropped.
 */
export function splitManifests(text: string): string[] {
  return text
    .trim()
    .split(/(?:^|[\t\n\f\r ]*\n)---[\t\n\f\r ]*/)
    .filter((d) => d !== '')
    .map((d) => d.trim());
}

interface Head {
  kind: string;
  apiVersion: string;
  name: string;
  annotations: Map<string, string> | undefined;
}

/** The head fields of one document; a document that does not parse fails as in Helm. */
function head(doc: string, source: string): Head {
  let root: unknown;
  try {
    root = jsyaml.load(doc, { schema: jsyaml.FAILSAFE_SCHEMA, json: true });
  } catch (err) {
    if (!(err instanceof jsyaml.YAMLException)) throw err;
    throw new AirlockError('USAGE', `YAML parse error on ${source}: error converting YAML to JSON: yaml: line ${err.mark ? err.mark.line + 1 : 0}: ${err.reason}`, {
      hint: 'the template renders YAML that does not parse; check the values it uses (airlock template --show-only that file)',
    });
  }
  const out: Head = { kind: '', apiVersion: '', name: '', annotations: undefined };
  if (root === null || root === undefined || typeof root !== 'object') return out;
  if (Array.isArray(root)) {
    throw new AirlockError('USAGE', `YAML parse error on ${source}: error unmarshaling JSON: while decoding JSON: json: cannot unmarshal array into Go value of type releaseutil.SimpleHead`);
  }
  const str = (v: unknown): string => (typeof v === 'string' ? v : '');
  const map = root as Record<string, unknown>;
  out.kind = str(map.kind);
  out.apiVersion = str(map.apiVersion);
  const md = map.metadata;
  if (md !== null && typeof md === 'object' && !Array.isArray(md)) {
    const m = md as Record<string, unknown>;
    out.name = str(m.name);
    const ann = m.annotations;
    if (ann !== null && typeof ann === 'object' && !Array.isArray(ann)) {
      out.annotations = new Map(Object.entries(ann as Record<string, unknown>).map(([k, v]) => [k, str(v)]));
    }
  }
  return out;
}

function lessByKind(a: string, b: string): number {
  const ra = RANK.get(a);
  const rb = RANK.get(b);
  if (ra === undefined && rb === undefined) return a === b ? 0 : a < b ? -1 : 1;
  if (ra === undefined) return 1;
  if (rb === undefined) return -1;
  return ra - rb;
}

/** SortManifests: files by path, documents in file order, hooks apart; both sorted by kind (stable). */
export function sortManifests(files: ReadonlyMap<string, string>): { manifests: Manifest[]; hooks: Hook[]; skipped: string[] } {
  const manifests: Manifest[] = [];
  const hooks: Hook[] = [];
  const skipped: string[] = [];
  for (const source of [...files.keys()].sort()) {
    if (source.slice(source.lastIndexOf('/') + 1).startsWith('_')) continue;
    const content = files.get(source)!;
    if (content.trim() === '') continue;
    for (const doc of splitManifests(content)) {
      const h = head(doc, source);
      const m: Manifest = { source, content: doc, kind: h.kind, apiVersion: h.apiVersion, name: h.name };
      const hookTypes = h.annotations?.get('helm.sh/hook');
      if (h.annotations === undefined || h.annotations.size === 0 || hookTypes === undefined) {
        manifests.push(m);
        continue;
      }
      const events = hookTypes.split(',').map((e) => e.trim().toLowerCase());
      if (events.some((e) => !HOOK_EVENTS.has(e))) {
        skipped.push(`info: skipping unknown hook: "${hookTypes}"`);
        continue;
      }
      const w = h.annotations.get('helm.sh/hook-weight') ?? '';
      const weight = /^[+-]?[0-9]+$/.test(w) ? Number(w) : NaN;
      hooks.push({ ...m, events: events.map((e) => (e === 'test-success' ? 'test' : e)), weight: Number.isNaN(weight) ? 0 : weight });
    }
  }
  const stable = <T extends Manifest>(list: T[]): T[] =>
    list
      .map((m, i) => ({ m, i }))
      .sort((x, y) => lessByKind(x.m.kind, y.m.kind) || x.i - y.i)
      .map((x) => x.m);
  return { manifests: stable(manifests), hooks: stable(hooks), skipped };
}
