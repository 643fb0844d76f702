import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * Harbor's own API as far as airlock uses it (systeminfo, the project list and
 * project creation), in front of a real registry: every other path is passed to
 * `upstream`, so pushes through it land in real storage. No real Harbor runs here;
 * this stands in only for the API a distribution registry does not have.
 */
export interface FakeHarborOptions {
  /** `127.0.0.1:PORT` of the registry behind it. */
  upstream: string;
  /** Projects that exist from the start. */
  projects: string[];
  /** The one account that may create projects (Basic auth). */
  admin: { user: string; password: string };
}

export interface FakeHarbor {
  host: string;
  projects: Set<string>;
  /** `METHOD PATH` of every API request (not the proxied registry ones). */
  api: string[];
  stop(): Promise<void>;
}

function basicUser(req: IncomingMessage): { user: string; password: string } | undefined {
  const h = req.headers.authorization;
  if (h === undefined || !h.startsWith('Basic ')) return undefined;
  const text = Buffer.from(h.slice(6), 'base64').toString('utf8');
  const i = text.indexOf(':');
  return { user: text.slice(0, i), password: text.slice(i + 1) };
}

async function bodyOf(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export async function startFakeHarbor(opts: FakeHarborOptions): Promise<FakeHarbor> {
  const projects = new Set(opts.projects);
  const api: string[] = [];
  const [upHost, upPort] = [opts.upstream.slice(0, opts.upstream.lastIndexOf(':')), Number(opts.upstream.slice(opts.upstream.lastIndexOf(':') + 1))];
  const json = (res: import('node:http').ServerResponse, status: number, doc: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(doc));

  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (!url.pathname.startsWith('/api/v2.0/')) {
      // The registry API: passed through untouched.
      const up = httpRequest({ host: upHost, port: upPort, method: req.method, path: req.url, headers: req.headers }, (upRes) => {
        res.writeHead(upRes.statusCode ?? 502, upRes.headers);
        upRes.pipe(res);
      });
      up.on('error', () => res.destroy());
      req.pipe(up);
      return;
    }
    api.push(`${req.method} ${url.pathname}${url.search}`);
    void (async () => {
      if (req.method === 'GET' && url.pathname === '/api/v2.0/systeminfo') return json(res, 200, { harbor_version: 'v2.11.0-fake', auth_mode: 'db_auth' });
      if (req.method === 'GET' && url.pathname === '/api/v2.0/projects') {
        // Harbor's name filter is fuzzy: a project whose name merely contains the word comes back too.
        const name = url.searchParams.get('name') ?? '';
        return json(res, 200, [...projects].filter((p) => p.includes(name)).map((p, i) => ({ project_id: i + 1, name: p })));
      }
      if (req.method === 'POST' && url.pathname === '/api/v2.0/projects') {
        const who = basicUser(req);
        const body = JSON.parse(await bodyOf(req)) as { project_name?: string };
        if (who === undefined || who.user !== opts.admin.user || who.password !== opts.admin.password) {
          return json(res, 401, { errors: [{ code: 'UNAUTHORIZED', message: 'unauthorized' }] });
        }
        if (body.project_name === undefined) return json(res, 400, { errors: [{ code: 'BAD_REQUEST', message: 'no name' }] });
        if (projects.has(body.project_name)) return json(res, 409, { errors: [{ code: 'CONFLICT', message: 'exists' }] });
        projects.add(body.project_name);
        return res.writeHead(201, { location: `/api/v2.0/projects/${projects.size}` }).end();
      }
      return json(res, 404, { errors: [{ code: 'NOT_FOUND', message: 'not here' }] });
    })().catch(() => res.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    host: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    projects,
    api,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
