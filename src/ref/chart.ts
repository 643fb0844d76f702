import { AirlockError } from '../errors.js';
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
 * `http://alice:PASSWORD@host/…` would carry the password into the signed
 * airlock.json (the pack request and the artifact source) and into --json output:
 * refused here, before anything records it. The message never repeats the password.
 */
function refuseUrlCredentials(text: string): void {
  const m = /^([a-z][a-z0-9+.-]*:\/\/)([^/?#]*)@/i.exec(text);
  if (m === null) return;
  const userinfo = m[2]!;
  const colon = userinfo.indexOf(':');
  const user = colon < 0 ? userinfo : userinfo.slice(0, colon);
  const shown = `${m[1]}${colon < 0 ? '***' : `${user}:***`}@${text.slice(m[0].length)}`;
  let host = text.slice(m[0].length);
  host = host.slice(0, host.search(/[/?#]|$/));
  throw new AirlockError('REF_INVALID', `chart reference "${shown}" holds ${colon < 0 ? 'a user name' : 'a user name and password'} in the URL`, {
    hint: `credentials in a URL would be written into the signed bundle; remove them and give the login with --creds ${host}=USER --password-stdin`,
  });
}

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

function chartNameOf(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

/**
 * Parses a chart reference. `version` (from `--chart-version`) becomes the OCI tag;
 * a tag written in the reference itself must agree with it.
 */
export function parseChartRef(input: string, version?: string): ChartSource {
  const text = input.trim();
  refuseUrlCredentials(text);
  if (text.startsWith('oci://')) {
    const body = text.slice('oci://'.length).replace(/\/+$/, '');
    if (!body.includes('/')) {
      throw new AirlockError('REF_INVALID', `invalid chart reference "${input}": no repository after the host`, {
        hint: 'write oci://HOST/PATH/NAME, e.g. oci://ghcr.io/org/charts/app',
      });
    }
    const ref = parseImageRef(body);
    const explicitTag = /:[^/]+$/.test(body.replace(/@.*$/, '')) ? ref.tag : undefined;
    // parseImageRef supplies "latest" for a bare name; charts have no such default.
    if (explicitTag === undefined) delete ref.tag;
    if (version !== undefined && explicitTag !== undefined && explicitTag !== version) {
      throw new AirlockError('USAGE', `chart "${input}" names version ${explicitTag} but --chart-version says ${version}`, {
        hint: 'give the version once, with --chart-version',
      });
    }
    if (version !== undefined) ref.tag = version.replace(/\+/g, '_'); // helm stores semver build metadata with _ in tags
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
