import type { EventEmitter } from 'node:events';
import { createServer as createHttpServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { AirlockError, messageOf } from '../errors.js';
import type { Outcome } from './api.js';
import type { ListenAddress } from './listen.js';

/** One line of the request log. */
export interface RequestEvent {
  time: string;
  method: string;
  /** Path and query as the client sent them. */
  path: string;
  status: number;
  /** Body bytes sent. */
  bytes: number;
  ms: number;
  remote: string;
  /** False when the connection was cut before the response was complete. */
  complete: boolean;
  /** Why a transfer failed (e.g. a blob that changed on disk since the check). */
  error?: string;
}

export interface ServeEvents {
  request: [RequestEvent];
}

export interface HttpOptions {
  address: ListenAddress;
  tls?: { cert: string | Buffer; key: string | Buffer } | undefined;
  /** A connection idle this long (a client that stopped reading) is dropped, in ms. */
  idleTimeout: number;
  /** Default grace period of close(), in ms. */
  grace: number;
  events: EventEmitter<ServeEvents>;
}

export interface Listening {
  port: number;
  /** Stops accepting, lets running responses finish for `grace` ms, then cuts what is left. */
  close(grace?: number): Promise<void>;
}

function listenOn(server: HttpServer, { host, port }: ListenAddress): Promise<number> {
  return new Promise((resolve, reject) => {
    const failed = (err: NodeJS.ErrnoException) =>
      reject(
        new AirlockError('LISTEN_FAILED', `cannot listen on ${host}:${port}: ${err.code === 'EADDRINUSE' ? 'the port is in use' : messageOf(err)}`, {
          cause: err,
          hint: err.code === 'EADDRINUSE' ? 'stop what uses it or choose another port with --listen HOST:PORT' : 'check the address belongs to this machine',
        }),
      );
    server.once('error', failed);
    server.listen(port, host, () => {
      server.off('error', failed);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

/**
 * An http(s) server around `answer`: one request event per response, when it closes,
 * and a close() that stops like a server should (no new connections, a grace period
 * for running transfers, then the rest cut).
 */
export async function listen(answer: (req: IncomingMessage, res: ServerResponse) => Promise<Outcome>, options: HttpOptions): Promise<Listening> {
  let closing = false;
  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    const started = performance.now();
    if (closing) res.setHeader('Connection', 'close');
    // answer() is written not to throw; should it ever, one request fails, not the process.
    const outcome = answer(req, res).catch((err: unknown): Outcome => {
      res.destroy();
      return { bytes: 0, error: messageOf(err) };
    });
    res.once('close', () => {
      // A keep-alive connection whose last request ended is idle now: let it go while stopping.
      if (closing) server.closeIdleConnections();
      void outcome.then((o) =>
        options.events.emit('request', {
          time: new Date().toISOString(),
          method: req.method ?? '',
          path: req.url ?? '',
          status: res.statusCode,
          bytes: o.bytes,
          ms: Math.round(performance.now() - started),
          remote: req.socket.remoteAddress ?? '',
          complete: res.writableFinished,
          ...(o.error !== undefined ? { error: o.error } : {}),
        }),
      );
    });
  };
  let server: HttpServer;
  try {
    server = options.tls ? createHttpsServer({ cert: options.tls.cert, key: options.tls.key }, handler) : createHttpServer(handler);
  } catch (cause) {
    throw new AirlockError('USAGE', `the TLS certificate or key is not usable: ${messageOf(cause)}`, { cause, hint: 'give a PEM certificate chain and its PEM private key' });
  }
  server.timeout = options.idleTimeout;
  const port = await listenOn(server, options.address);

  let closed: Promise<void> | undefined;
  const close = (grace = options.grace): Promise<void> => {
    closed ??= new Promise<void>((resolve) => {
      closing = true;
      server.close(() => resolve());
      server.closeIdleConnections();
      const cut = setTimeout(() => server.closeAllConnections(), grace);
      cut.unref();
      server.once('close', () => clearTimeout(cut));
    });
    return closed;
  };
  return { port, close };
}
