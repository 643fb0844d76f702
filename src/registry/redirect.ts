import { AirlockError } from '../errors.js';

/** Statuses that carry a Location to follow. */
export const REDIRECT_STATUSES: ReadonlySet<number> = new Set([301, 302, 303, 307, 308]);
/** More hops than this is a loop or a misconfiguration, for registries and chart repositories alike. */
export const MAX_REDIRECTS = 5;

export interface RedirectContext {
  /** The host named in messages (`registry.example.com`). */
  host: string;
  /** What was being fetched, for messages: `GET index.yaml`. */
  what: string;
  /** Hops already taken. */
  hop: number;
  /** Whether plain http is acceptable for this host (loopback, or named insecure by the user). */
  mayUseHttp: (host: string) => boolean;
}

/**
 * The one set of redirect rules, shared by the registry client and the chart
 * repository fetcher: at most MAX_REDIRECTS hops, only http(s), and never from
 * https down to plain http unless the user accepted plain http for that host.
 */
export function redirectTarget(from: URL, location: string, ctx: RedirectContext): URL {
  if (ctx.hop >= MAX_REDIRECTS) {
    throw new AirlockError('REGISTRY_ERROR', `${ctx.host} redirected ${ctx.what} more than ${MAX_REDIRECTS} times`, {
      hint: 'the server (or its storage backend) is misconfigured',
    });
  }
  const next = new URL(location, from);
  if (next.protocol !== 'http:' && next.protocol !== 'https:') {
    throw new AirlockError('REGISTRY_ERROR', `${ctx.host} redirected ${ctx.what} to a ${next.protocol} URL; refused`);
  }
  if (next.protocol === 'http:' && from.protocol === 'https:' && !ctx.mayUseHttp(next.host)) {
    throw new AirlockError('REGISTRY_ERROR', `${ctx.host} redirected ${ctx.what} from https to plain http (${next.host}); refused`, {
      hint: `content and credentials must not travel unencrypted; name ${next.host} with --insecure-registry only if you accept that`,
    });
  }
  return next;
}
