/**
 * A TCP proxy on 127.0.0.1 that passes requests and answers to a real registry
 * at a fixed rate (each direction), so a transfer of a few MiB lasts long enough to
 * watch its progress or interrupt it in the middle of one blob. It can also cut
 * the connection after a given number of request bytes (a link that drops at a
 * byte count, not at a time), and counts what it forwarded each way.
 */
import { connect, createServer, type Socket } from 'node:net';

export interface ThrottleProxy {
  host: string;
  /** Bytes of request data forwarded so far. */
  readonly forwarded: number;
  /** Bytes of answers passed back so far. */
  readonly received: number;
  /** Resets the connection that carries the request byte `forwarded + bytes` (once). */
  cutAfter(bytes: number): void;
  stop(): Promise<void>;
}

export async function startThrottleProxy(upstream: string, bytesPerSecond: number): Promise<ThrottleProxy> {
  const port = Number(upstream.slice(upstream.lastIndexOf(':') + 1));
  const sockets = new Set<Socket>();
  let forwarded = 0;
  let received = 0;
  let cutAt = Infinity;
  const slice = Math.max(1024, Math.floor(bytesPerSecond / 50));
  /** Passes `from`'s data on in slices, each after its share of a second; `send` false stops. */
  const pace = (from: Socket, send: (piece: Buffer) => boolean): void => {
    const queue: Buffer[] = [];
    let busy = false;
    const pump = (): void => {
      const next = queue.shift();
      if (next === undefined) {
        busy = false;
        from.resume();
        return;
      }
      busy = true;
      if (send(next)) setTimeout(pump, (next.length / bytesPerSecond) * 1000);
    };
    from.on('data', (d: Buffer) => {
      for (let i = 0; i < d.length; i += slice) queue.push(d.subarray(i, i + slice));
      from.pause();
      if (!busy) pump();
    });
  };
  const server = createServer((client) => {
    const up = connect(port, '127.0.0.1');
    sockets.add(client).add(up);
    const close = () => {
      client.destroy();
      up.destroy();
    };
    client.on('error', close).on('close', close);
    up.on('error', close).on('close', close);
    // Answers flow at the same rate (a pull through a slow link), uncounted and never cut.
    pace(up, (piece) => {
      // A connection the client dropped takes no more bytes, nor counts them.
      if (client.destroyed) return false;
      client.write(piece);
      received += piece.length;
      return true;
    });
    // Requests are counted, and cut once at the byte asked for.
    pace(client, (piece) => {
      if (forwarded + piece.length > cutAt) {
        up.write(piece.subarray(0, cutAt - forwarded));
        forwarded = cutAt;
        cutAt = Infinity;
        // Let the kept bytes reach the registry before both sides are reset.
        setTimeout(() => {
          client.resetAndDestroy();
          up.destroy();
        }, 50);
        return false;
      }
      up.write(piece);
      forwarded += piece.length;
      return true;
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address() as { port: number };
  return {
    host: `127.0.0.1:${address.port}`,
    get forwarded() {
      return forwarded;
    },
    get received() {
      return received;
    },
    cutAfter(bytes: number) {
      cutAt = forwarded + bytes;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
