import { AirlockError } from '../errors.js';
import { parseDigest, type Digest } from '../oci/digest.js';
import { refuseCredentials } from './credentials.js';

export { parseDigest };

/**
 * A fully normalized image reference, as docker and containerd read one:
 * `nginx` is `docker.io/library/nginx:latest`.
 */
export interface ImageRef {
  /** Registry host, with port when one was given: `docker.io`, `127.0.0.1:5000`, `[::1]:5000`. */
  registry: string;
  /** Repository path inside the registry: `library/nginx`. */
  repository: string;
  tag?: string;
  /** `sha256:<64 hex>` */
  digest?: Digest;
}

export const DOCKER_HUB = 'docker.io';
const MAX_NAME_LENGTH = 255;

// The grammar of github.com/distribution/reference, written out piece by piece.
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const HOST = new RegExp(
  `^(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|\\[[a-fA-F0-9:]+\\])(?::[0-9]+)?$`,
);
const TAG = /^[\w][\w.-]{0,127}$/;

function invalid(input: string, why: string, hint?: string): AirlockError {
  return new AirlockError('REF_INVALID', `invalid image reference "${input}": ${why}`, {
    hint: hint ?? 'write it as [HOST[:PORT]/]PATH[:TAG][@sha256:DIGEST], e.g. ghcr.io/org/app:v1',
  });
}

/** docker's rule: the first component is a host when it has a dot, a colon, is `localhost` or has uppercase. */
function splitDomain(name: string): [string, string] {
  const slash = name.indexOf('/');
  if (slash === -1) return [DOCKER_HUB, name];
  const first = name.slice(0, slash);
  const isHost =
    first.includes('.') || first.includes(':') || first === 'localhost' || first !== first.toLowerCase();
  if (!isHost) return [DOCKER_HUB, name];
  return [first, name.slice(slash + 1)];
}

/** Parses and normalizes an image reference. Throws REF_INVALID with a hint on bad input. */
export function parseImageRef(input: string): ImageRef {
  const text = input.trim();
  if (text === '') throw invalid(input, 'it is empty');
  if (/\s/.test(text)) throw invalid(input, 'it contains white space');
  refuseCredentials(text, 'image reference');
  if (text.includes('://')) {
    throw invalid(input, 'image references take no scheme', 'drop the scheme (docker://, https://): write HOST/PATH:TAG');
  }

  let rest = text;
  let digest: Digest | undefined;
  const at = rest.indexOf('@');
  if (at !== -1) {
    digest = parseDigest(rest.slice(at + 1), input);
    rest = rest.slice(0, at);
  }

  let tag: string | undefined;
  const lastColon = rest.lastIndexOf(':');
  if (lastColon > rest.lastIndexOf('/') && !rest.endsWith(']')) {
    tag = rest.slice(lastColon + 1);
    rest = rest.slice(0, lastColon);
    if (!TAG.test(tag)) throw invalid(input, `"${tag}" is not a valid tag (letters, digits, _ . -, at most 128, not starting with . or -)`);
  }

  const [rawDomain, path] = splitDomain(rest);
  if (!HOST.test(rawDomain)) throw invalid(input, `"${rawDomain}" is not a valid registry host`);
  const registry = rawDomain === 'index.docker.io' || rawDomain === 'registry-1.docker.io' ? DOCKER_HUB : rawDomain;

  if (path === '') throw invalid(input, 'the repository path is empty');
  for (const component of path.split('/')) {
    if (component !== component.toLowerCase()) {
      throw invalid(input, 'repository names must be lowercase', `use "${path.toLowerCase()}"`);
    }
    if (!PATH_COMPONENT.test(component)) {
      throw invalid(input, `"${component}" is not a valid path component (lowercase letters, digits, separators . _ __ -)`);
    }
  }
  const repository = registry === DOCKER_HUB && !path.includes('/') ? `library/${path}` : path;
  if (`${registry}/${repository}`.length > MAX_NAME_LENGTH) {
    throw invalid(input, `the name is longer than ${MAX_NAME_LENGTH} characters`);
  }

  const ref: ImageRef = { registry, repository };
  if (tag !== undefined) ref.tag = tag;
  if (digest !== undefined) ref.digest = digest;
  if (tag === undefined && digest === undefined) ref.tag = 'latest';
  return ref;
}

/** `registry/repository` */
export function repositoryName(ref: Pick<ImageRef, 'registry' | 'repository'>): string {
  return `${ref.registry}/${ref.repository}`;
}

/** The full normalized text: `registry/repository[:tag][@digest]`. */
export function formatImageRef(ref: ImageRef): string {
  let out = repositoryName(ref);
  if (ref.tag !== undefined) out += `:${ref.tag}`;
  if (ref.digest !== undefined) out += `@${ref.digest}`;
  return out;
}

/** The reference a registry's manifest endpoint takes: the digest when pinned, else the tag. */
export function manifestReference(ref: ImageRef): string {
  const value = ref.digest ?? ref.tag;
  if (value === undefined) throw new AirlockError('INTERNAL', `reference ${repositoryName(ref)} has neither tag nor digest`);
  return value;
}

/** Normalizes text in one step: `nginx` -> `docker.io/library/nginx:latest`. */
export function normalizeImageRef(input: string): string {
  return formatImageRef(parseImageRef(input));
}

export function isValidTag(tag: string): boolean {
  return TAG.test(tag);
}
