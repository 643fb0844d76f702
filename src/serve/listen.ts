import { isIP } from 'node:net';
import { AirlockError } from '../errors.js';

export interface ListenAddress {
  host: string;
  port: number;
}

export const DEFAULT_LISTEN = '127.0.0.1:5000';

/** `HOST:PORT`, `[IPv6]:PORT`, or a bare `PORT` (on 127.0.0.1). Port 0 picks a free one. */
export function parseListen(text: string): ListenAddress {
  const m = /^(?:(\[[0-9a-fA-F:.]+\]|[^:[\]]+):)?(\d{1,5})$/.exec(text.trim());
  const port = m ? Number(m[2]) : NaN;
  if (m === null || port > 65535) {
    throw new AirlockError('USAGE', `--listen ${text}: expected HOST:PORT`, { hint: 'e.g. --listen 127.0.0.1:5000, or --listen 0.0.0.0:5000 to serve other machines' });
  }
  const host = (m[1] ?? '127.0.0.1').replace(/^\[|\]$/g, '');
  return { host, port };
}

/** Whether only this machine can reach the address. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || (isIP(host) === 4 && host.startsWith('127.'));
}

/** The URL clients use: IPv6 hosts in brackets. */
export function urlOf(tls: boolean, host: string, port: number): string {
  return `${tls ? 'https' : 'http'}://${host.includes(':') ? `[${host}]` : host}:${port}`;
}
