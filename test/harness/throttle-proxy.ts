/**
 * A TCP proxy on 127.0.0.1 that passes requests and answers to a real registry
 * at a fixed rate (each direction), so a transfer of a few MiB lasts long enough to
 * watch its progress or interrupt it in the middle of one blob. It can also cut
 * the connection after a given number of request bytes (a link that drops at a
 * byte count, not at a time), and counts what it forwarded.
 */
import { connect, createServer, type Socket } from 'node:net';

export interface ThrottleProxy {
  host: string;
  /** Bytes of request data forwarded so far. */
  readonly forwarded: number;
  /** Resets the connection that carries the request byte `forwarded + bytes` (once). */
  cutAfter(bytes: number): void;
  stop(): Promise<void>;
}

export async function startThrottleProxy(upstream: string, bytesPerSecond: number): Promise<ThrottleProxy> {
  const port = Number(upstream.slice(upstream.lastIndexOf(':') + 1));
  const sockets = new Set<Socket>();
  let forwarded = 0;
  let cutAt = Infinity;
  const slice = Math.max(1024, Math.floor(bytesPerSecond / 50));
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
    const down: Buffer[] = [];
    let downBusy = false;
    const pumpDown = () => {
      const next = down.shift();
      if (next === undefined) {
        downBusy = false;
        up.resume();
        return;
      }
      downBusy = true;
      client.write(next);
      setTimeout(pumpDown, (next.length / bytesPerSecond) * 1000);
    };
    up.on('data', (d: Buffer) => {
      for (let i = 0; i < d.length; i += slice) down.push(d.subarray(i, i + slice));
      up.pause();
      if (!downBusy) pumpDown();
    });
    // Each piece of the request waits its share of a second before it goes on.
    const queue: Buffer[] = [];
    let busy = false;
    const pump = () => {
      const next = queue.shift();
      if (next === undefined) {
        busy = false;
        client.resume();
        return;
      }
      busy = true;
      if (forwarded + next.length > cutAt) {
        up.write(next.subarray(0, cutAt - forwarded));
        forwarded = cutAt;
        cutAt = Infinity;
        // Let the kept bytes reach the registry before both sides are reset.
        setTimeout(() => {
          client.resetAndDestroy();
          up.destroy();
        }, 50);
        return;
      }
      up.write(next);
      forwarded += next.length;
      setTimeout(pump, (next.length / bytesPerSecond) * 1000);
    };
    client.on('data', (d: Buffer) => {
      for (let i = 0; i < d.length; i += slice) queue.push(d.subarray(i, i + slice));
      client.pause();
      if (!busy) pump();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address() as { port: number };
  return {
    host: `127.0.0.1:${address.port}`,
    get forwarded() {
      return forwarded;
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
