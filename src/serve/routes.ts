/** The read side of the OCI distribution API, as requests name it. */
export type Route =
  | { kind: 'base' }
  | { kind: 'catalog' }
  | { kind: 'tags'; name: string }
  | { kind: 'manifest'; name: string; reference: string }
  | { kind: 'blob'; name: string; digest: string }
  | { kind: 'referrers'; name: string; digest: string };

// The name is greedy: a repository may itself have a path component called "blobs".
const NAMED = /^\/v2\/(.+)\/(manifests|blobs|referrers)\/([^/]+)$/;
const TAGS = /^\/v2\/(.+)\/tags\/list$/;

/** The route of a request path (without query), or undefined for anything else. */
export function route(pathname: string): Route | undefined {
  if (pathname === '/v2/' || pathname === '/v2') return { kind: 'base' };
  if (pathname === '/v2/_catalog') return { kind: 'catalog' };
  const tags = TAGS.exec(pathname);
  if (tags !== null) return { kind: 'tags', name: tags[1]! };
  const named = NAMED.exec(pathname);
  if (named === null) return undefined;
  const [, name, what, rawRef] = named as unknown as [string, string, string, string];
  let reference: string;
  try {
    // Some clients write the digest's colon as %3A.
    reference = decodeURIComponent(rawRef);
  } catch {
    return undefined;
  }
  if (what === 'manifests') return { kind: 'manifest', name, reference };
  if (what === 'blobs') return { kind: 'blob', name, digest: reference };
  return { kind: 'referrers', name, digest: reference };
}

/** One page of a sorted list, after `last`, at most `n` long; `more` when items remain. */
export function paginate(items: readonly string[], n: number | undefined, last: string | undefined): { page: string[]; more: boolean } {
  const after = last === undefined ? items : items.filter((i) => i > last);
  if (n === undefined) return { page: [...after], more: false };
  return { page: after.slice(0, n), more: after.length > n };
}
