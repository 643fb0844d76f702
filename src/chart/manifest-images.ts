import { parseAllDocuments } from 'yaml';
import { formatImageRef, parseImageRef } from '../ref/image.js';

/** How a rendered manifest names an image. */
export type ImageVia =
  /** `image:` of a container, init container or ephemeral container of any pod spec (nested in any kind). */
  | 'container'
  /** Another field named `image` (Prometheus `spec.image`, operator CRs). */
  | 'image-field'
  /** A container argument or command word (`--acme-http01-solver-image=quay.io/…`, `--engine-image X`). */
  | 'argument'
  /** A container environment variable's value. */
  | 'env';

export interface ImageUse {
  /** Fully normalized: `docker.io/library/nginx:1.27`, tag and `@digest` as rendered. */
  reference: string;
  /** As the manifest writes it. */
  written: string;
  /** The template it was rendered from, as in helm's `# Source:` line. */
  template: string;
  /** `Kind/name` of the object. */
  object: string;
  /** The container's name, for container images and their arguments and env. */
  container?: string;
  /** Where in the object: `spec.template.spec.containers[0].image`. */
  field: string;
  via: ImageVia;
}

export interface RenderedManifest {
  source: string;
  content: string;
}

const POD_CONTAINER_KEYS = ['containers', 'initContainers', 'ephemeralContainers'];
/** Rendered manifests are machine output; an alias bomb in one is an attack, not a chart. */
const MAX_ALIASES = 1000;

type Node = unknown;

function isMap(v: Node): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The normalized reference of a string a field calls an image, or undefined when it does not parse as one. */
function asImage(text: string): string | undefined {
  const t = text.trim();
  // `auto` is istio's placeholder, replaced by its injector when the pod is created: never pulled as written.
  if (t === '' || /\s/.test(t) || t === 'auto') return undefined;
  try {
    return formatImageRef(parseImageRef(t));
  } catch {
    return undefined;
  }
}

/**
 * Arguments and env values are free text: only a string that is unmistakably an
 * image counts there, one with a path and an explicit tag or digest
 * (`quay.io/jetstack/cert-manager-acmesolver:v1.18.2`), never `--log-level=info`.
 */
function asArgumentImage(text: string): string | undefined {
  const t = text.trim();
  if (!t.includes('/') || !/[:@]/.test(t.slice(t.lastIndexOf('/')))) return undefined;
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(t)) return undefined; // a URL
  return asImage(t);
}

/** `--flag=value` → value; anything else as is. */
function argumentValue(word: string): string {
  const eq = word.startsWith('-') ? word.indexOf('=') : -1;
  return eq === -1 ? word : word.slice(eq + 1);
}

/**
 * Every image the rendered manifests make the cluster pull, with where it was found.
 * Pod specs are found by shape anywhere in any object (Deployment, CronJob's
 * jobTemplate, a CR's nested pod template), so no list of kinds can miss one.
 */
export function imagesInManifests(manifests: readonly RenderedManifest[], options: ScanOptions = {}): { uses: ImageUse[]; problems: string[] } {
  const uses: ImageUse[] = [];
  const problems: string[] = [];
  for (const manifest of manifests) {
    let docs;
    try {
      docs = parseAllDocuments(manifest.content, { uniqueKeys: false });
    } catch (err) {
      problems.push(`${manifest.source}: not YAML (${(err as Error).message})`);
      continue;
    }
    for (const doc of Array.isArray(docs) ? docs : [docs]) {
      if (doc.errors.length > 0) {
        problems.push(`${manifest.source}: ${doc.errors[0]!.message}`);
        continue;
      }
      const object: Node = doc.toJS({ maxAliasCount: MAX_ALIASES });
      if (!isMap(object)) continue;
      const meta = isMap(object.metadata) ? object.metadata : {};
      const name = `${String(object.kind ?? '?')}/${String(meta.name ?? '?')}`;
      scan(object, '', { template: manifest.source, object: name, ignore: options.ignore }, uses);
    }
  }
  return { uses, problems };
}

export interface ScanOptions {
  /**
   * Text to disregard when deciding whether a string is an image (a probe's markers):
   * the decision is made on the string without it, `written` keeps it.
   */
  ignore?: RegExp;
}

interface Where {
  template: string;
  object: string;
  ignore?: RegExp | undefined;
}

/** The image a string names, judged without the ignored text; `written` keeps it. */
function judge(text: string, where: Where, as: (t: string) => string | undefined): string | undefined {
  return as(where.ignore === undefined ? text : text.replace(where.ignore, ''));
}

function use(where: Where, rest: Omit<ImageUse, 'template' | 'object'>): ImageUse {
  return { template: where.template, object: where.object, ...rest };
}

function scan(node: Node, path: string, where: Where, out: ImageUse[]): void {
  if (Array.isArray(node)) {
    node.forEach((item, i) => scan(item, `${path}[${i}]`, where, out));
    return;
  }
  if (!isMap(node)) return;
  for (const [key, value] of Object.entries(node)) {
    const here = path === '' ? key : `${path}.${key}`;
    if (POD_CONTAINER_KEYS.includes(key) && Array.isArray(value)) {
      value.forEach((c, i) => (isMap(c) ? container(c, `${here}[${i}]`, where, out) : undefined));
      continue;
    }
    if (key === 'image' && typeof value === 'string') {
      const reference = judge(value, where, asImage);
      if (reference !== undefined) out.push(use(where, { reference, written: value, field: here, via: 'image-field' }));
      continue;
    }
    scan(value, here, where, out);
  }
}

function container(c: Record<string, unknown>, path: string, where: Where, out: ImageUse[]): void {
  const name = typeof c.name === 'string' ? c.name : undefined;
  const base = name !== undefined ? { container: name } : {};
  if (typeof c.image === 'string') {
    const reference = judge(c.image, where, asImage);
    if (reference !== undefined) out.push(use(where, { reference, written: c.image, ...base, field: `${path}.image`, via: 'container' }));
  }
  for (const key of ['command', 'args']) {
    const words = c[key];
    if (!Array.isArray(words)) continue;
    words.forEach((w, i) => {
      if (typeof w !== 'string') return;
      const written = argumentValue(w);
      const reference = judge(written, where, asArgumentImage);
      if (reference !== undefined) out.push(use(where, { reference, written, ...base, field: `${path}.${key}[${i}]`, via: 'argument' }));
    });
  }
  if (Array.isArray(c.env)) {
    c.env.forEach((e, i) => {
      if (!isMap(e) || typeof e.value !== 'string') return;
      const reference = judge(e.value, where, asArgumentImage);
      if (reference !== undefined) out.push(use(where, { reference, written: e.value, ...base, field: `${path}.env[${i}].value`, via: 'env' }));
    });
  }
  // Sidecars declared inside a container's own fields are rare; anything else nested is scanned as usual.
  for (const [key, value] of Object.entries(c)) {
    if (key !== 'image' && key !== 'command' && key !== 'args' && key !== 'env') scan(value, `${path}.${key}`, where, out);
  }
}
