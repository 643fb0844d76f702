import { AirlockError } from '../errors.js';
import { parseImageRef, manifestReference, type ImageRef } from '../ref/image.js';
import { RegistryClient } from './client.js';
import { canonicalHost } from './credentials.js';
import type { RegistryOptions } from './options.js';
import { HarborApi } from './harbor.js';
import type { RegistryRepository } from './repository.js';

/**
 * One client per registry host, made on first use with shared options: every
 * repository of a host shares its connections, tokens and known blobs (so a push
 * to a second repository can mount what the first one received).
 */
export class RegistryPool {
  private readonly clients = new Map<string, RegistryClient>();
  private readonly harbors = new Map<string, HarborApi>();

  constructor(readonly options: RegistryOptions = {}) {}

  client(host: string): RegistryClient {
    const key = canonicalHost(host);
    let client = this.clients.get(key);
    if (client === undefined) {
      client = new RegistryClient(host, this.options);
      this.clients.set(key, client);
    }
    return client;
  }

  /** `HOST/PATH` (no tag needed) → the repository target. */
  repository(ref: Pick<ImageRef, 'registry' | 'repository'>): RegistryRepository {
    return this.client(ref.registry).repository(ref.repository);
  }

  /** Harbor's API on `host` (profile detection, project checks), sharing the host's client. */
  harbor(host: string): HarborApi {
    const key = canonicalHost(host);
    let api = this.harbors.get(key);
    if (api === undefined) {
      api = new HarborApi(this.client(host));
      this.harbors.set(key, api);
    }
    return api;
  }

  /** Closes every pooled connection. */
  close(): void {
    for (const client of this.clients.values()) client.close();
    this.clients.clear();
    this.harbors.clear();
  }
}

export interface OpenedRegistryTarget {
  target: RegistryRepository;
  ref: ImageRef;
  /** What `resolve` takes for this reference: the digest when pinned, else the tag. */
  reference: string;
  /** Closes the client's connections when this call made one (no-op with a pool: the pool owns them). */
  close(): void;
}

/**
 * Opens `HOST/PATH[:TAG][@DIGEST]` as a copy target. Pass `pool` to share clients
 * between several references (pack, push); without it a new client is made, and
 * the caller closes it with `close()`.
 */
export function openRegistryTarget(refText: string, opts: RegistryOptions & { pool?: RegistryPool } = {}): OpenedRegistryTarget {
  const ref = parseImageRef(refText);
  if (ref.tag === undefined && ref.digest === undefined) {
    throw new AirlockError('INTERNAL', `reference ${refText} has neither tag nor digest`);
  }
  const { pool, ...options } = opts;
  if (pool !== undefined) return { target: pool.repository(ref), ref, reference: manifestReference(ref), close: () => undefined };
  const client = new RegistryClient(ref.registry, options);
  return { target: client.repository(ref.repository), ref, reference: manifestReference(ref), close: () => client.close() };
}
