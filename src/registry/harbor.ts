import { AirlockError } from '../errors.js';
import { basicHeader } from './auth.js';
import type { RegistryClient } from './client.js';
import { readSome } from './session.js';

const API = '/api/v2.0';

/**
 * The little of Harbor's own API a push needs: whether the host is Harbor at all
 * (systeminfo, readable without login), and whether a project exists or may be
 * made. Harbor's API takes Basic credentials, not the registry's bearer tokens,
 * so these calls carry the login's user and password themselves.
 */
export class HarborApi {
  private version: Promise<string | undefined> | undefined;

  constructor(private readonly client: RegistryClient) {}

  private async auth(): Promise<Record<string, string>> {
    const creds = await this.client.credentials();
    return creds?.username !== undefined && creds.password !== undefined ? { authorization: basicHeader(creds.username, creds.password) } : {};
  }

  /** Harbor's version, or undefined when the host is not Harbor (asked once). */
  harborVersion(): Promise<string | undefined> {
    this.version ??= (async () => {
      const res = await this.client.request({ method: 'GET', path: `${API}/systeminfo`, scopes: [], ok: 'any', what: 'Harbor systeminfo', anonymous: true, once: true });
      const body = await readSome(res, 256 * 1024);
      if (res.status !== 200) return undefined;
      try {
        const doc = JSON.parse(body.toString('utf8')) as { harbor_version?: unknown };
        return typeof doc.harbor_version === 'string' ? doc.harbor_version : undefined;
      } catch {
        return undefined; // a web page answering every path: not Harbor
      }
    })().catch(() => undefined);
    return this.version;
  }

  /** Whether project `name` exists: the list filtered by name, then an exact match (the filter is fuzzy). */
  async hasProject(name: string): Promise<boolean> {
    const res = await this.client.request({
      method: 'GET',
      path: `${API}/projects?name=${encodeURIComponent(name)}&page_size=100`,
      headers: await this.auth(),
      scopes: [],
      ok: [200],
      what: `Harbor project list for ${name}`,
      anonymous: true,
    });
    const body = await readSome(res, 4 * 1024 * 1024);
    let doc: unknown;
    try {
      doc = JSON.parse(body.toString('utf8'));
    } catch {
      throw new AirlockError('REGISTRY_ERROR', `${this.client.host} answered the Harbor project list with something that is not JSON`);
    }
    return Array.isArray(doc) && doc.some((p) => typeof p === 'object' && p !== null && (p as { name?: unknown }).name === name);
  }

  /** Creates a private project; one that appeared meanwhile (409) counts as made. */
  async createProject(name: string): Promise<void> {
    const res = await this.client.request({
      method: 'POST',
      path: `${API}/projects`,
      headers: { ...(await this.auth()), 'content-type': 'application/json' },
      body: Buffer.from(JSON.stringify({ project_name: name, metadata: { public: 'false' } })),
      scopes: [],
      ok: [201, 409],
      what: `creation of Harbor project ${name}`,
      repository: name,
      anonymous: true,
    });
    await readSome(res);
  }
}
