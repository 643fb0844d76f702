/**
 * A TCP proxy on 127.0.0.1 in front of a real registry that misbehaves on a
 * schedule: it answers 500/502/503/429 itself, resets connections before an
 * answer or in the middle of a body (either direction), ends response bodies
 * short, and stalls. It reads only the request head of each connection (method,
 * path) and adds `Connection: close`, so every request gets its own connection
 * and a rule applies to the requests it names, counted in order.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';

export type Fault =
  /** Answer with this status instead of the registry (Retry-After when given), then close. */
  | { type: 'status'; status: number; retryAfter?: string }
  /** Reset the connection before any answer. */
  | { type: 'reset' }
  /** Forward, then reset the connection after this many bytes of the response body. */
  | { type: 'reset-response'; afterBytes: number }
  /** Forward, then end the connection cleanly after this many bytes of the response body (a short body). */
  | { type: 'truncate-response'; afterBytes: number }
  /** Reset the connection after this many bytes of the request body (an upload cut off). */
  | { type: 'reset-request'; afterBytes: number }
  /** Hold the request this long before forwarding it (longer than the client's idle timeout: it gives up). */
  | { type: 'stall'; ms: number };

export interface FaultRule {
  method?: string;
  /** Matched against the request path (with its query). */
  path?: RegExp;
  /** Let this many matching requests through first (default 0). */
  skip?: number;
  /** Then fault this many (default 1; Infinity for "from now on"). */
  times?: number;
  fault: Fault;
}

export interface ProxiedRequest {
  method: string;
  path: string;
  /** The fault applied, if any. */
  fault?: Fault['type'];
}

export interface FaultProxy {
  /** `127.0.0.1:PORT`: what goes into image references instead of the registry's host. */
  host: string;
  /** Every request seen, in order. */
  readonly requests: ProxiedRequest[];
  /** Replaces the schedule (rule counters start again). */
  setRules(rules: FaultRule[]): void;
  /** Requests that got a fault. */
  faulted(): ProxiedRequest[];
  stop(): Promise<void>;
}

const HEAD_END = Buffer.from('\r\n\r\n');

/** Writes with backpressure: a slow reader pauses the side that feeds it. */
function relay(to: Socket, from: Socket, chunk: Buffer): void {
  if (chunk.length === 0 || to.destroyed) return;
  if (!to.write(chunk)) {
    from.pause();
    to.once('drain', () => from.resume());
  }
}
const REASONS: Record<number, string> = { 429: 'Too Many Requests', 500: 'Internal Server Error', 502: 'Bad Gateway', 503: 'Service Unavailable' };

interface Counted {
  rule: FaultRule;
  seen: number;
}

/** Starts the proxy in front of `upstream` (`127.0.0.1:PORT`). */
export async function startFaultProxy(upstream: string, rules: FaultRule[] = []): Promise<FaultProxy> {
  const [upHost, upPort] = [upstream.slice(0, upstream.lastIndexOf(':')), Number(upstream.slice(upstream.lastIndexOf(':') + 1))];
  let schedule: Counted[] = rules.map((rule) => ({ rule, seen: 0 }));
  const requests: ProxiedRequest[] = [];
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();

  const pick = (method: string, path: string): Fault | undefined => {
    for (const c of schedule) {
      const r = c.rule;
      if (r.method !== undefined && r.method !== method) continue;
      if (r.path !== undefined && !r.path.test(path)) continue;
      const n = c.seen++;
      const skip = r.skip ?? 0;
      if (n >= skip && n < skip + (r.times ?? 1)) return r.fault;
    }
    return undefined;
  };

  const handle = (client: Socket): void => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.on('error', () => undefined);
    let head = Buffer.alloc(0);
    const onHead = (chunk: Buffer): void => {
      if (head.length === 0 && !/^[A-Z]+ /.test(chunk.subarray(0, 8).toString('latin1'))) {
        // Not HTTP (the client's https probe of a loopback host): passed through untouched.
        client.off('data', onHead);
        client.pause();
        forward(client, undefined, chunk, Buffer.alloc(0));
        return;
      }
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf(HEAD_END);
      if (end === -1) {
        if (head.length > 64 * 1024) client.destroy();
        return;
      }
      client.off('data', onHead);
      client.pause();
      const headText = head.subarray(0, end).toString('latin1');
      const rest = head.subarray(end + HEAD_END.length);
      const [method = '', path = ''] = headText.split('\r\n', 1)[0]!.split(' ');
      const fault = pick(method, path);
      requests.push({ method, path, ...(fault ? { fault: fault.type } : {}) });
      // One request per connection: the registry closes after answering, so the next
      // request comes on a new connection and meets the schedule.
      const lines = headText.split('\r\n').filter((l) => !/^connection:/i.test(l));
      const forwardedHead = Buffer.from(`${[...lines, 'Connection: close'].join('\r\n')}\r\n\r\n`, 'latin1');
      act(client, fault, forwardedHead, rest);
    };
    client.on('data', onHead);
  };

  const act = (client: Socket, fault: Fault | undefined, forwardedHead: Buffer, rest: Buffer): void => {
    if (fault?.type === 'status') {
      const extra = fault.retryAfter !== undefined ? `Retry-After: ${fault.retryAfter}\r\n` : '';
      const body = `{"errors":[{"code":"UNAVAILABLE","message":"injected ${fault.status}"}]}`;
      client.end(
        `HTTP/1.1 ${fault.status} ${REASONS[fault.status] ?? 'Error'}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n${extra}Connection: close\r\n\r\n${body}`,
      );
      return;
    }
    if (fault?.type === 'reset') {
      client.resetAndDestroy();
      return;
    }
    if (fault?.type === 'stall') {
      const timer = setTimeout(() => {
        timers.delete(timer);
        if (!client.destroyed) forward(client, undefined, forwardedHead, rest);
      }, fault.ms);
      timers.add(timer);
      return;
    }
    forward(client, fault, forwardedHead, rest);
  };

  const forward = (client: Socket, fault: Fault | undefined, forwardedHead: Buffer, rest: Buffer): void => {
    const server = connect(upPort, upHost);
    sockets.add(server);
    server.on('close', () => sockets.delete(server));
    server.on('error', () => client.destroy());
    client.on('error', () => server.destroy());
    client.on('close', () => server.destroy());
    server.on('close', () => client.end());

    // Request direction: count body bytes when the upload is to be cut.
    let sent = rest.length;
    const cutRequest = fault?.type === 'reset-request' ? fault.afterBytes : Infinity;
    server.write(forwardedHead);
    if (rest.length > 0) server.write(rest);
    client.on('data', (chunk: Buffer) => {
      if (sent + chunk.length > cutRequest) {
        server.write(chunk.subarray(0, Math.max(0, cutRequest - sent)));
        client.resetAndDestroy();
        server.destroy();
        return;
      }
      sent += chunk.length;
      relay(server, client, chunk);
    });
    client.resume();

    // Response direction: find the end of the head, then count body bytes.
    const limit = fault?.type === 'reset-response' || fault?.type === 'truncate-response' ? fault.afterBytes : Infinity;
    let seenHead = Buffer.alloc(0);
    let bodyBytes = -1; // -1: still in the head
    server.on('data', (chunk: Buffer) => {
      let body = chunk;
      if (bodyBytes < 0) {
        seenHead = Buffer.concat([seenHead, chunk]);
        const end = seenHead.indexOf(HEAD_END);
        if (end === -1) {
          relay(client, server, chunk);
          return;
        }
        const headPart = chunk.length - (seenHead.length - (end + HEAD_END.length));
        relay(client, server, chunk.subarray(0, headPart));
        body = chunk.subarray(headPart);
        bodyBytes = 0;
      }
      if (bodyBytes + body.length > limit) {
        client.write(body.subarray(0, limit - bodyBytes));
        bodyBytes = limit;
        server.destroy();
        if (fault?.type === 'reset-response') client.resetAndDestroy();
        else client.end();
        return;
      }
      bodyBytes += body.length;
      relay(client, server, body);
    });
  };

  const proxy: Server = createServer(handle);
  await new Promise<void>((resolve, reject) => {
    proxy.once('error', reject);
    proxy.listen(0, '127.0.0.1', () => resolve());
  });
  const address = proxy.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;

  return {
    host: `127.0.0.1:${port}`,
    requests,
    setRules(next) {
      schedule = next.map((rule) => ({ rule, seen: 0 }));
    },
    faulted: () => requests.filter((r) => r.fault !== undefined),
    stop: async () => {
      for (const t of timers) clearTimeout(t);
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => proxy.close(() => resolve()));
    },
  };
}
