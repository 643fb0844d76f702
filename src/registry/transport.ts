import http from 'node:http';
import https from 'node:https';
import { rootCertificates } from 'node:tls';
import { Readable } from 'node:stream';
import { AirlockError, messageOf } from '../errors.js';
import type { Timeouts } from './options.js';

/** A response whose body the caller must consume or destroy (that frees the connection). */
export interface HttpResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Readable;
  /** The URL that answered (after redirects), to resolve relative `Location` headers. */
  url: URL;
}

/**
 * A request body that is written once, from a stream that cannot be rewound. The
 * transport sets `started` when the first byte is asked for: from then on the
 * request cannot be sent again, so a failure is final unless the source is reopened.
 */
export interface StreamBody {
  length?: number;
  started: boolean;
  write(sink: (chunk: Buffer) => Promise<void>): Promise<void>;
}

export type RequestBody = Buffer | StreamBody;

/** One header of a response (the first, when repeated). */
export function responseHeader(res: Pick<HttpResponse, 'headers'>, name: string): string | undefined {
  const v = res.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

export function isStreamBody(body: RequestBody | undefined): body is StreamBody {
  return body !== undefined && !Buffer.isBuffer(body);
}

export interface SendRequest {
  method: string;
  url: URL;
  headers: Record<string, string>;
  body?: RequestBody;
}

/** Hosts that may be spoken to over plain http without any flag (DESIGN.md). */
export function isLoopbackHost(host: string): boolean {
  const name = hostnameOf(host);
  return name === 'localhost' || name === '127.0.0.1' || name === '[::1]' || name === '::1';
}

/** `HOST[:PORT]` without the port; IPv6 literals keep their brackets. */
export function hostnameOf(host: string): string {
  if (host.startsWith('[')) return host.slice(0, host.indexOf(']') + 1);
  const colon = host.lastIndexOf(':');
  return colon === -1 ? host : host.slice(0, colon);
}

/** Whether `host` is named in the insecure list, by `HOST:PORT` or by host name alone (any port). */
export function isInsecureHost(host: string, insecure: readonly string[]): boolean {
  const lower = host.toLowerCase();
  return insecure.some((entry) => {
    const e = entry.trim().toLowerCase().replace(/^https?:\/\//, '').replace(/\/+$/, '');
    return e === lower || e === hostnameOf(lower);
  });
}

/** The keep-alive connection pools of one client: reused across every request to the host. */
export class Agents {
  readonly http: http.Agent;
  /** Verifies certificates against the system roots plus the CA file. */
  readonly https: https.Agent;
  /** Only for a host the user named insecure: TLS without verification. */
  readonly httpsInsecure: https.Agent;

  constructor(maxSockets: number, extraCa: string | undefined) {
    const common = { keepAlive: true, maxSockets, maxFreeSockets: maxSockets, scheduling: 'lifo' as const };
    this.http = new http.Agent(common);
    // `ca` replaces the default roots, so keep them: public storage backends must still verify.
    const ca = extraCa === undefined ? undefined : [...rootCertificates, extraCa];
    this.https = new https.Agent(ca === undefined ? common : { ...common, ca });
    this.httpsInsecure = new https.Agent({ ...common, rejectUnauthorized: false });
  }

  destroy(): void {
    this.http.destroy();
    this.https.destroy();
    this.httpsInsecure.destroy();
  }
}

/** Node error codes of a TLS certificate that failed verification. */
const CERT_CODES = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER|ALTNAME|HOSTNAME_MISMATCH/;
/** A server that does not speak TLS at all answered a TLS handshake. */
const NOT_TLS_CODES = new Set(['ERR_SSL_WRONG_VERSION_NUMBER', 'ERR_SSL_PACKET_LENGTH_TOO_LONG', 'EPROTO']);
/** Connection troubles that may pass. */
const TRANSIENT_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'ENETDOWN',
  'EHOSTDOWN',
  'ERR_STREAM_PREMATURE_CLOSE',
  'HPE_INVALID_CHUNK_SIZE',
  'HPE_UNEXPECTED_CONTENT_LENGTH',
  'HPE_INVALID_CONSTANT',
]);

export function errorCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

export function isCertificateError(err: unknown): boolean {
  const code = errorCode(err);
  return code !== undefined && CERT_CODES.test(code);
}

export function isNotTlsError(err: unknown): boolean {
  const code = errorCode(err);
  return (code !== undefined && NOT_TLS_CODES.has(code)) || /wrong version number|packet length too long/i.test(messageOf(err));
}

/** Whether a failed exchange may succeed when tried again. */
export function isTransientNetworkError(err: unknown): boolean {
  if (err instanceof AirlockError) return err.retryable && (err.code === 'NETWORK' || err.code === 'TIMEOUT');
  const code = errorCode(err);
  if (code !== undefined && TRANSIENT_CODES.has(code)) return true;
  return /socket hang up|aborted|premature close/i.test(messageOf(err));
}

/** Turns a Node network error into an AirlockError naming the host, with advice. */
export function networkError(err: unknown, host: string, what: string): AirlockError {
  if (err instanceof AirlockError) return err;
  const code = errorCode(err);
  if (isCertificateError(err)) {
    return new AirlockError('NETWORK', `TLS certificate of ${host} is not trusted (${code}): ${what}`, {
      hint: `pass --ca-file with the CA certificate (PEM) that signed ${host}'s certificate, or --insecure-registry ${host} to skip verification (not recommended)`,
      cause: err,
    });
  }
  if (code === 'ENOTFOUND') {
    return new AirlockError('NETWORK', `cannot resolve host ${host}: ${what}`, {
      hint: 'check the registry name and your DNS; on the disconnected side only the internal registry is reachable',
      cause: err,
    });
  }
  if (code === 'ECONNREFUSED') {
    return new AirlockError('NETWORK', `connection to ${host} refused: ${what}`, {
      hint: `check that the registry runs and listens on ${host}`,
      cause: err,
      retryable: true,
    });
  }
  return new AirlockError('NETWORK', `network error talking to ${host} (${code ?? messageOf(err)}): ${what}`, {
    hint: 'check the connection to the registry; running the command again continues where it stopped',
    cause: err,
    retryable: isTransientNetworkError(err) || code === undefined,
  });
}

function timeoutError(kind: 'connect' | 'idle', ms: number, url: URL): AirlockError {
  const host = url.host;
  const text =
    kind === 'connect' ? `connecting to ${host} timed out after ${ms} ms` : `no data from ${host} for ${ms} ms`;
  return new AirlockError('TIMEOUT', text, {
    hint: 'the registry or the network is slow or unreachable; check the connection and run the command again',
    retryable: true,
  });
}

function waitWritable(req: http.ClientRequest, chunk: Buffer): Promise<void> {
  if (req.destroyed) return Promise.reject(new AirlockError('NETWORK', `connection to ${req.host} closed while sending`, { retryable: true }));
  if (req.write(chunk)) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const done = (): void => {
      req.off('drain', onDrain);
      req.off('close', onClose);
    };
    const onDrain = (): void => {
      done();
      resolve();
    };
    const onClose = (): void => {
      done();
      reject(new AirlockError('NETWORK', `connection to ${req.host} closed while sending`, { retryable: true }));
    };
    req.once('drain', onDrain);
    req.once('close', onClose);
  });
}

/** Largest error body kept when a server answers before a streamed body was sent. */
const EARLY_BODY_LIMIT = 64 * 1024;

async function bufferBody(res: http.IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  try {
    for await (const chunk of res) {
      total += (chunk as Buffer).length;
      if (total > EARLY_BODY_LIMIT) break;
      chunks.push(chunk as Buffer);
    }
  } catch {
    // The server closed after answering: what arrived is enough for an error message.
  }
  return Buffer.concat(chunks);
}

/**
 * One HTTP exchange, no retries, no redirects, no auth. Streamed bodies are sent
 * with `Expect: 100-continue`: a server that refuses the request (401 with an
 * expired token, 503) answers before any byte of the stream is consumed, so the
 * request can still be sent again.
 */
export function send(agent: http.Agent, request: SendRequest, timeouts: Timeouts): Promise<HttpResponse> {
  const { method, url, body } = request;
  const headers: Record<string, string> = { ...request.headers };
  if (Buffer.isBuffer(body)) headers['content-length'] = String(body.length);
  else if (body !== undefined) {
    if (body.length !== undefined) headers['content-length'] = String(body.length);
    headers.expect = '100-continue';
  } else if (method === 'PUT' || method === 'POST' || method === 'PATCH') headers['content-length'] = '0';

  return new Promise<HttpResponse>((resolve, reject) => {
    const lib = url.protocol === 'https:' ? https : http;
    let settled = false;
    let answered = false;
    let bodyError: unknown;
    let continueTimer: NodeJS.Timeout | undefined;
    const finish = (err: unknown, res?: HttpResponse): void => {
      if (continueTimer !== undefined) clearTimeout(continueTimer);
      if (settled) return;
      settled = true;
      if (res !== undefined) resolve(res);
      else reject(err);
    };

    const req = lib.request(url, { method, headers, agent });
    req.on('socket', (socket) => {
      if (!socket.connecting) return;
      const timer = setTimeout(() => req.destroy(timeoutError('connect', timeouts.connectMs, url)), timeouts.connectMs);
      const clear = (): void => clearTimeout(timer);
      socket.once(url.protocol === 'https:' ? 'secureConnect' : 'connect', clear);
      socket.once('close', clear);
    });
    req.setTimeout(timeouts.idleMs, () => req.destroy(timeoutError('idle', timeouts.idleMs, url)));
    // A body error (the verifier refused the bytes) is the story; the broken connection it causes is not.
    req.on('error', (err) => finish(bodyError ?? err));

    req.on('response', (res) => {
      answered = true;
      if (continueTimer !== undefined) clearTimeout(continueTimer);
      if (body !== undefined && !Buffer.isBuffer(body) && !body.started) {
        // Answered before we sent the body: keep the answer, drop the half-used connection.
        void bufferBody(res).then((bytes) => {
          req.destroy();
          finish(undefined, { status: res.statusCode ?? 0, headers: res.headers, body: Readable.from([bytes]), url });
        });
        return;
      }
      finish(undefined, { status: res.statusCode ?? 0, headers: res.headers, body: res, url });
    });

    if (body === undefined) req.end();
    else if (Buffer.isBuffer(body)) req.end(body);
    else {
      const start = (): void => {
        // Never start a body the server already answered (401, 503): it stays unread, replayable.
        if (body.started || settled || answered) return;
        body.started = true;
        if (continueTimer !== undefined) clearTimeout(continueTimer);
        body.write((chunk) => waitWritable(req, chunk)).then(
          () => req.end(),
          (err: unknown) => {
            bodyError = err;
            req.destroy(err instanceof Error ? err : new Error(messageOf(err)));
            finish(err);
          },
        );
      };
      req.on('continue', start);
      // Some proxies never send 100 Continue: after a short wait, send anyway (as curl does).
      continueTimer = setTimeout(start, timeouts.continueMs);
      req.flushHeaders();
    }
  });
}

/** Request headers that carry credentials. */
const CREDENTIAL_HEADERS = new Set(['authorization', 'proxy-authorization', 'cookie']);

/**
 * The caller's headers for one hop of a redirect chain that started at `from`:
 * credentials go only to the origin they were meant for. Scheme, host and port
 * all count (URL.origin), so a token service that redirects to another port of
 * the same host gets no password either.
 */
export function headersForHop(headers: Record<string, string> | undefined, from: URL, to: URL): Record<string, string> {
  if (headers === undefined) return {};
  if (from.origin === to.origin) return headers;
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) if (!CREDENTIAL_HEADERS.has(name.toLowerCase())) out[name] = value;
  return out;
}

/**
 * Whether a token realm may be plain http, where a password would cross the wire
 * in clear: only when the registry itself was reached over http, and both it and
 * the realm are loopback (nothing leaves the machine), or the realm is a host the
 * user named with --insecure-registry.
 */
export function plainRealmAllowed(realm: URL, registry: URL, insecure: readonly string[]): boolean {
  if (realm.protocol !== 'http:' || registry.protocol !== 'http:') return false;
  if (isInsecureHost(realm.host, insecure)) return true;
  return isLoopbackHost(registry.host) && isLoopbackHost(realm.host);
}
