import { AirlockError } from '../errors.js';
import { refuseCredentials } from './credentials.js';
import { parseImageRef, type ImageRef } from './image.js';

/** Where a Helm chart comes from. */
export type ChartSource =
  /** `oci://HOST/REPO/NAME`, a Helm OCI artifact; the version is its tag. */
  | { kind: 'oci'; ref: ImageRef; name: string }
  /** `https://REPO_URL/NAME`: a classic chart repository, resolved through `REPO_URL/index.yaml`. */
  | { kind: 'repo'; repoUrl: string; name: string }
  /** A chart archive on disk. */
  | { kind: 'file'; path: string };

/**
 * The chart reference as airlock.json and reports record it: a local archive by
 * its file name only (an absolute path names the packer's folders and user, and
 * means nothing on the other side of the air gap); anything else as given.
 */
export function recordedChartRef(input: string): string {
  const text = input.trim();
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(text) || !/\.(tgz|tar\.gz)$/.test(text)) return text;
  return text.slice(Math.max(text.lastIndexOf('/'), text.lastIndexOf('\\')) + 1);
}

/**
 * The OCI tag Helm stores a chart version under: `+` (SemVer build metadata) is not
 * allowed in a tag, so `1.2.3+build.7` is tagged `1.2.3_build.7`.
 */
export function chartTag(version: string): string {
  return version.replace(/\+/g, '_');
}

/**
 * The chart version a tag stands for: Helm's mapping read back. A SemVer version
 * never holds `_`, so every `_` in a chart's tag was a `+`.
 */
export function chartVersionOfTag(tag: string): string {
  return tag.replace(/_/g, '+');
}

/**
 * `HOST/PATH:1.2.3+build.7` with its tag in the form a registry takes, as Helm's own
 * reference parser does: only the tag after the last `:` that is not followed by a
 * `/`, and never the digest.
 */
function chartTagged(body: string): string {
  const at = body.indexOf('@');
  const name = at === -1 ? body : body.slice(0, at);
  const colon = name.lastIndexOf(':');
  if (colon === -1 || name.includes('/', colon)) return body;
  return `${name.slice(0, colon + 1)}${chartTag(name.slice(colon + 1))}${at === -1 ? '' : body.slice(at)}`;
}

function chartNameOf(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

/**
 * Parses a chart reference. `version` (from `--chart-version`) becomes the OCI tag;
 * a tag written in the reference itself must agree with it.
 */
export function parseChartRef(input: string, version?: string): ChartSource {
  const text = input.trim();
  refuseCredentials(text, 'chart reference');
  if (text.startsWith('oci://')) {
    const body = text.slice('oci://'.length).replace(/\/+$/, '');
    if (!body.includes('/')) {
      throw new AirlockError('REF_INVALID', `invalid chart reference "${input}": no repository after the host`, {
        hint: 'write oci://HOST/PATH/NAME, e.g. oci://ghcr.io/org/charts/app',
      });
    }
    const ref = parseImageRef(chartTagged(body));
    const explicitTag = /:[^/]+$/.test(body.replace(/@.*$/, '')) ? ref.tag : undefined;
    // parseImageRef supplies "latest" for a bare name; charts have no such default.
    if (explicitTag === undefined) delete ref.tag;
    if (version !== undefined && explicitTag !== undefined && explicitTag !== chartTag(version)) {
      throw new AirlockError('USAGE', `chart "${input}" names version ${explicitTag} but --chart-version says ${version}`, {
        hint: 'give the version once, with --chart-version',
      });
    }
    if (version !== undefined) ref.tag = chartTag(version);
    else if (explicitTag === undefined && ref.digest === undefined) {
      throw new AirlockError('USAGE', `chart "${input}" has no version: give it with --chart-version`, {
        hint: 'add --chart-version VERSION (helm charts are pulled by exact version)',
      });
    }
    return { kind: 'oci', ref, name: chartNameOf(ref.repository) };
  }
  if (text.startsWith('https://') || text.startsWith('http://')) {
    let url: URL;
    try {
      url = new URL(text);
    } catch (cause) {
      throw new AirlockError('REF_INVALID', `invalid chart URL "${input}"`, { cause });
    }
    const path = url.pathname.replace(/\/+$/, '');
    const slash = path.lastIndexOf('/');
    const name = path.slice(slash + 1);
    if (name === '') {
      throw new AirlockError('REF_INVALID', `invalid chart reference "${input}": no chart name after the repository URL`, {
        hint: 'write https://REPO_URL/NAME, e.g. https://charts.example.com/stable/app',
      });
    }
    url.pathname = path.slice(0, slash) + '/';
    url.search = '';
    url.hash = '';
    return { kind: 'repo', repoUrl: url.toString(), name };
  }
  if (/\.(tgz|tar\.gz)$/.test(text)) return { kind: 'file', path: text };
  throw new AirlockError('REF_INVALID', `unrecognized chart reference "${input}"`, {
    hint: 'use oci://HOST/PATH/NAME, https://REPO_URL/NAME, or a local .tgz file',
  });
}
