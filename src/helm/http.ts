import { readFileSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { AirlockError } from '../errors.js';
import { findCredentials } from '../registry/credentials.js';
import { DEFAULT_TIMEOUTS, type RegistryOptions } from '../registry/options.js';
import { Agents, isInsecureHost, networkError, send } from '../registry/transport.js';
import type { UrlFetcher } from './repo.js';

const MAX_REDIRECTS = 10;

export interface UrlFetcherHandle {
  fetch: UrlFetcher;
  close(): void;
}

/**
 * GET for classic chart repositories (index.yaml, .tgz) with the registry
 * transport's TLS settings: `--ca-file` trusted, `--insecure-registry` hosts
 * unverified, credentials from the same stores as registries (basic auth only, and
 * never sent to another host after a redirect).
 */
export function createUrlFetcher(options: RegistryOptions = {}): UrlFetcherHandle {
  const ca = options.caFile === undefined ? undefined : readFileSync(options.caFile, 'utf8');
  const agents = new Agents(options.maxSockets ?? 4, ca);
  const timeouts = { ...DEFAULT_TIMEOUTS, ...options.timeouts };
  const fetch: UrlFetcher = async (text) => {
    const first = new URL(text);
    const creds = await findCredentials(first.host, undefined, options.credentials, {
      ...(options.env ? { env: options.env } : {}),
      ...(options.home ? { home: options.home } : {}),
    });
    let url = first;
    for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
      const headers: Record<string, string> = { 'user-agent': options.userAgent ?? 'airlock' };
      if (url.host === first.host && creds?.username !== undefined && creds.password !== undefined) {
        headers.authorization = `Basic ${Buffer.from(`${creds.username}:${creds.password}`).toString('base64')}`;
      }
      const agent =
        url.protocol === 'http:' ? agents.http : isInsecureHost(url.host, options.insecureRegistries ?? []) ? agents.httpsInsecure : agents.https;
      let res;
      try {
        res = await send(agent, { method: 'GET', url, headers }, timeouts);
      } catch (err) {
        throw err instanceof AirlockError ? err : networkError(err, url.host, `GET ${url.origin}${url.pathname}`);
      }
      if (res.status >= 300 && res.status < 400 && res.headers.location) {
        res.body.resume();
        url = new URL(res.headers.location, url);
        continue;
      }
      if (res.status === 200) return res.body as Readable;
      res.body.resume();
      const where = `${url.origin}${url.pathname}`;
      if (res.status === 404) throw new AirlockError('NOT_FOUND', `${where} answered 404 Not Found`, { hint: 'check the chart repository URL and the chart name' });
      if (res.status === 401 || res.status === 403) {
        throw new AirlockError(res.status === 401 ? 'UNAUTHORIZED' : 'DENIED', `${where} answered ${res.status}`, {
          hint: `log in first: airlock login ${first.host} -u USER --password-stdin`,
        });
      }
      throw new AirlockError('REGISTRY_ERROR', `${where} answered HTTP ${res.status}`, { retryable: res.status >= 500 || res.status === 429 });
    }
    throw new AirlockError('REGISTRY_ERROR', `${text} redirects more than ${MAX_REDIRECTS} times`);
  };
  return { fetch, close: () => agents.destroy() };
}
