import { readFileSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { AirlockError, messageOf } from '../errors.js';
import { findCredentials } from './credentials.js';
import { DEFAULT_RETRY, DEFAULT_TIMEOUTS, type RegistryOptions } from './options.js';
import { REDIRECT_STATUSES, redirectTarget } from './redirect.js';
import { backoffDelay, isRetryableStatus, sleep } from './retry.js';
import { Agents, isInsecureHost, isLoopbackHost, isTransientNetworkError, networkError, responseHeader, send, type HttpResponse } from './transport.js';

/** Fetches a URL as a stream (chart repositories: index.yaml, chart archives). */
export type UrlFetcher = (url: string) => Promise<Readable>;

export interface UrlFetcherHandle {
  fetch: UrlFetcher;
  close(): void;
}

/**
 * GET for classic chart repositories with the registry transport's rules: the same
 * TLS settings (`--ca-file`, `--insecure-registry`), the same redirect rules (five
 * hops, no https→http downgrade), the same retries, and credentials from the same
 * stores, sent as basic auth to the repository's own origin only.
 */
export function createUrlFetcher(options: RegistryOptions = {}): UrlFetcherHandle {
  const ca = options.caFile === undefined ? undefined : readCa(options.caFile);
  const agents = new Agents(options.maxSockets ?? 4, ca);
  const timeouts = { ...DEFAULT_TIMEOUTS, ...options.timeouts };
  const retry = { ...DEFAULT_RETRY, ...options.retry };
  const mayUseHttp = (host: string): boolean => isLoopbackHost(host) || isInsecureHost(host, options.insecureRegistries ?? []);

  const once = async (first: URL, authorization: string | undefined): Promise<HttpResponse> => {
    let url = first;
    for (let hop = 0; ; hop++) {
      const headers: Record<string, string> = { 'user-agent': options.userAgent ?? 'airlock' };
      // Scheme, host and port all count: a redirect to another origin gets no credentials.
      if (authorization !== undefined && url.origin === first.origin) headers.authorization = authorization;
      const agent = url.protocol === 'http:' ? agents.http : isInsecureHost(url.host, options.insecureRegistries ?? []) ? agents.httpsInsecure : agents.https;
      let res: HttpResponse;
      try {
        res = await send(agent, { method: 'GET', url, headers }, timeouts);
      } catch (err) {
        throw err instanceof AirlockError ? err : networkError(err, url.host, `GET ${url.origin}${url.pathname}`);
      }
      const location = responseHeader(res, 'location');
      if (!REDIRECT_STATUSES.has(res.status) || location === undefined) return res;
      res.body.resume();
      url = redirectTarget(url, location, { host: first.host, what: `GET ${first.pathname}`, hop, mayUseHttp });
    }
  };

  const fetch: UrlFetcher = async (text) => {
    const first = new URL(text);
    const creds = await findCredentials(first.host, undefined, options.credentials, {
      ...(options.env ? { env: options.env } : {}),
      ...(options.home ? { home: options.home } : {}),
    });
    const authorization =
      creds?.username !== undefined && creds.password !== undefined ? `Basic ${Buffer.from(`${creds.username}:${creds.password}`).toString('base64')}` : undefined;
    const where = `${first.origin}${first.pathname}`;
    for (let attempt = 0; ; attempt++) {
      let res: HttpResponse;
      try {
        res = await once(first, authorization);
      } catch (err) {
        if (attempt < retry.retries && (isTransientNetworkError(err) || (err instanceof AirlockError && err.retryable))) {
          await sleep(backoffDelay(attempt, retry));
          continue;
        }
        throw err;
      }
      if (res.status === 200) return res.body as Readable;
      res.body.resume();
      if (isRetryableStatus(res.status) && attempt < retry.retries) {
        await sleep(backoffDelay(attempt, retry));
        continue;
      }
      if (res.status === 404) throw new AirlockError('NOT_FOUND', `${where} answered 404 Not Found`, { hint: 'check the chart repository URL and the chart name' });
      if (res.status === 401 || res.status === 403) {
        throw new AirlockError(res.status === 401 ? 'UNAUTHORIZED' : 'DENIED', `${where} answered ${res.status}`, {
          hint: `log in first: airlock login ${first.host} -u USER --password-stdin`,
        });
      }
      throw new AirlockError('REGISTRY_ERROR', `${where} answered HTTP ${res.status}`, { retryable: isRetryableStatus(res.status) });
    }
  };
  return { fetch, close: () => agents.destroy() };
}

function readCa(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new AirlockError('USAGE', `cannot read the CA file ${path}: ${messageOf(err)}`, { hint: 'pass a PEM file with the CA certificate(s)' });
  }
}
