/** The `rel="next"` target of a `Link` header: `</v2/x/tags/list?last=a&n=2>; rel="next"`. */
export function nextLink(link: string | undefined): string | undefined {
  if (link === undefined) return undefined;
  for (const part of link.split(',')) {
    const m = /<([^>]*)>\s*;(.*)/.exec(part.trim());
    if (m !== null && /rel="?next"?/.test(m[2]!)) return m[1];
  }
  return undefined;
}
