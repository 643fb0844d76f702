import { EventEmitter } from 'node:events';
import { readFile } from 'node:fs/promises';
import { limiter } from '../content/limit.js';
import type { MappingMode } from '../bundle/mapping.js';
import { parseTargetRegistry } from '../bundle/mapping.js';
import { requireRandomAccess } from '../bundle/read.js';
import type { SignaturePolicy } from '../bundle/signers.js';
import { openVerifiedBundle, VerifiedBundle } from '../bundle/verified.js';
import { checkListing, verifyContents, type ContentReport } from '../bundle/verify.js';
import { requireBases } from '../bundle/delta.js';
import { AirlockError, messageOf } from '../errors.js';
import { answer } from './api.js';
import { buildCatalog } from './catalog.js';
import { listen, type ServeEvents } from './http.js';
import { DEFAULT_LISTEN, isLoopback, parseListen, urlOf } from './listen.js';

export interface ServeOptions {
  /** `HOST:PORT` (default 127.0.0.1:5000; port 0 picks a free one). */
  listen?: string;
  /** Serve every name under this path, as push's `--registry HOST/PREFIX` would put it. */
  prefix?: string;
  mapping?: MappingMode;
  /** PEM certificate chain and key: serve https. */
  tls?: { cert: string | Buffer; key: string | Buffer };
  /** Reads from the bundle at once (manifests and blob transfers); more wait their turn. Default 32. */
  concurrency?: number;
  /** How long close() lets running transfers finish before it cuts them, in ms. Default 10 000. */
  grace?: number;
  /** A connection idle this long (a client that stopped reading) is dropped, in ms. Default 120 000. */
  idleTimeout?: number;
  /** Progress of the hashing of every byte that comes before serving. */
  onProgress?: (bytes: number, total: number) => void;
}

export type { RequestEvent, ServeEvents } from './http.js';

export interface RunningServer {
  /** `http://127.0.0.1:5000`: what clients use (with the real port when 0 was asked for). */
  url: string;
  host: string;
  port: number;
  tls: boolean;
  /** False when other machines can connect: without TLS the CLI warns. */
  loopback: boolean;
  /** Repositories served, sorted. */
  repositories: string[];
  /** What the hashing of the whole bundle before serving found. */
  contents: ContentReport;
  events: EventEmitter<ServeEvents>;
  /**
   * Stops accepting connections, lets running transfers finish for `grace` ms
   * (default: the option), then cuts what is left. Resolves when all are closed.
   */
  close(grace?: number): Promise<void>;
}

/** Reads a certificate and key (PEM files) for `tls`. */
export async function loadTls(certFile: string, keyFile: string): Promise<{ cert: Buffer; key: Buffer }> {
  const read = (path: string, what: string) =>
    readFile(path).catch((cause: unknown) => {
      throw new AirlockError('IO', `cannot read the TLS ${what} ${path}: ${messageOf(cause)}`, { cause, hint: 'check the path' });
    });
  return { cert: await read(certFile, 'certificate'), key: await read(keyFile, 'key') };
}

/**
 * `airlock serve`: the bundle as a read-only OCI registry. Every byte is hashed
 * against the signed manifest before the first request is answered; then blobs are
 * read in place by offset (tar, split parts, zip, folder: no extraction), each
 * checked against its digest again while it streams. The bundle stays open and
 * owned by the caller, who closes it after close().
 */
export async function serve(verified: VerifiedBundle, options: ServeOptions = {}): Promise<RunningServer> {
  VerifiedBundle.assert(verified, 'serve');
  const { bundle } = verified;
  const address = parseListen(options.listen ?? DEFAULT_LISTEN);
  // The prefix is checked through the same grammar as push's --registry.
  const prefix = options.prefix ? parseTargetRegistry(`localhost/${options.prefix}`).prefix : '';
  requireRandomAccess(bundle, 'serve');
  // A delta serves holes: refused, naming its base (unpack --base makes a whole folder to serve).
  requireBases(bundle, [], 'serve');
  checkListing(bundle);
  const contents = await verifyContents(bundle, options.onProgress);
  const catalog = await buildCatalog(bundle, { prefix, mapping: options.mapping ?? 'nested' });

  const events = new EventEmitter<ServeEvents>();
  const limit = limiter(Math.max(1, options.concurrency ?? 32));
  const { port, close } = await listen((req, res) => answer({ catalog, reader: bundle.reader, limit }, req, res), {
    address,
    tls: options.tls,
    idleTimeout: options.idleTimeout ?? 120_000,
    grace: options.grace ?? 10_000,
    events,
  });

  return {
    url: urlOf(options.tls !== undefined, address.host, port),
    host: address.host,
    port,
    tls: options.tls !== undefined,
    loopback: isLoopback(address.host),
    repositories: [...catalog.repositories.keys()],
    contents,
    events,
    close,
  };
}

/** Opens a bundle, checks its signature against `policy`, and serves it; close() also closes the bundle. */
export async function serveBundle(input: string | readonly string[], policy: SignaturePolicy, options: ServeOptions = {}): Promise<RunningServer & { signers: VerifiedBundle['signers'] }> {
  const verified = await openVerifiedBundle(input, policy);
  try {
    const running = await serve(verified, options);
    return {
      ...running,
      signers: verified.signers,
      close: async (grace?: number) => {
        await running.close(grace);
        await verified.close();
      },
    };
  } catch (err) {
    await verified.close();
    throw err;
  }
}
