/**
 * The OCI referrers API, which no Debian registry serves, in front of a real
 * docker-registry: `GET /v2/NAME/referrers/DIGEST` answers from a table, in pages
 * of `pageSize` linked with `Link: <…>; rel="next"`, filtered by `artifactType`
 * (saying so with OCI-Filters-Applied); every other request goes to the registry.
 */
import { createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { MediaType } from '../../src/oci/media-types.js';
import type { Descriptor } from '../../src/oci/schemas.js';

export interface FakeReferrers {
  host: string;
  /** Every referrers request, path and query, in order. */
  requests: string[];
  /** Referrers by subject digest. */
  table: Map<string, Descriptor[]>;
  stop(): Promise<void>;
}

export async function startFakeReferrers(upstream: string, options: { pageSize?: number } = {}): Promise<FakeReferrers> {
  const pageSize = options.pageSize ?? 2;
  const table = new Map<string, Descriptor[]>();
  const requests: string[] = [];
  const [upHost, upPort] = upstream.split(':');
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const m = /^\/v2\/(.+)\/referrers\/(sha256:[a-f0-9]{64})$/.exec(url.pathname);
    if (m !== null && req.method === 'GET') {
      requests.push(`${url.pathname}${url.search}`);
      const type = url.searchParams.get('artifactType');
      const all = (table.get(m[2]!) ?? []).filter((d) => type === null || d.artifactType === type);
      const page = Number(url.searchParams.get('page') ?? '0');
      const manifests = all.slice(page * pageSize, (page + 1) * pageSize);
      const headers: Record<string, string> = { 'content-type': MediaType.OciIndex };
      if (type !== null) headers['oci-filters-applied'] = 'artifactType';
      if ((page + 1) * pageSize < all.length) {
        const next = new URLSearchParams({ ...(type !== null ? { artifactType: type } : {}), page: String(page + 1) });
        headers.link = `<${url.pathname}?${next}>; rel="next"`;
      }
      res.writeHead(200, headers).end(JSON.stringify({ schemaVersion: 2, mediaType: MediaType.OciIndex, manifests }));
      return;
    }
    const forward = request({ host: upHost, port: Number(upPort), method: req.method, path: req.url, headers: req.headers }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    forward.on('error', () => res.writeHead(502).end());
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    host: `127.0.0.1:${port}`,
    requests,
    table,
    stop: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
