/** A parsed `WWW-Authenticate` challenge. */
export interface Challenge {
  scheme: 'basic' | 'bearer' | string;
  params: Record<string, string>;
}

/**
 * Parses `WWW-Authenticate`, e.g. `Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/nginx:pull"`.
 * Several challenges may share one header; the first Bearer or Basic one is kept by the caller.
 */
export function parseChallenges(header: string | string[] | undefined): Challenge[] {
  if (header === undefined) return [];
  const text = Array.isArray(header) ? header.join(', ') : header;
  const out: Challenge[] = [];
  // scheme token, then key=value pairs (quoted or not) separated by commas.
  const re = /([A-Za-z][A-Za-z0-9!#$%&'*+.^_`|~-]*)(?:\s+|$)|([A-Za-z0-9_-]+)\s*=\s*("((?:[^"\\]|\\.)*)"|[^\s,]*)\s*,?\s*/gy;
  let current: Challenge | undefined;
  let pos = 0;
  while (pos < text.length) {
    re.lastIndex = pos;
    // Skip separators between challenges.
    if (text[pos] === ',' || text[pos] === ' ') {
      pos++;
      continue;
    }
    const m = re.exec(text);
    if (m === null) break;
    pos = re.lastIndex;
    if (m[2] !== undefined) {
      const value = m[4] !== undefined ? m[4].replace(/\\(.)/g, '$1') : (m[3] ?? '');
      if (current !== undefined) current.params[m[2].toLowerCase()] = value;
    } else if (m[1] !== undefined) {
      current = { scheme: m[1].toLowerCase(), params: {} };
      out.push(current);
    }
  }
  return out;
}

/** The challenge airlock answers: Bearer preferred, then Basic. */
export function pickChallenge(header: string | string[] | undefined): Challenge | undefined {
  const all = parseChallenges(header);
  return all.find((c) => c.scheme === 'bearer') ?? all.find((c) => c.scheme === 'basic');
}
