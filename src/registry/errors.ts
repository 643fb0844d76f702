import { AirlockError, type ErrorCode } from '../errors.js';
import { hostnameOf } from './transport.js';

/** One entry of a distribution error body: `{"errors":[{code,message,detail}]}`. */
export interface RegistryErrorEntry {
  code: string;
  message?: string;
  detail?: unknown;
}

/** Parses an error body; anything that is not the distribution shape gives an empty list. */
export function parseErrorBody(bytes: Buffer): RegistryErrorEntry[] {
  if (bytes.length === 0) return [];
  try {
    const doc = JSON.parse(bytes.toString('utf8')) as { errors?: unknown };
    if (!Array.isArray(doc.errors)) return [];
    return doc.errors
      .filter((e): e is Record<string, unknown> => typeof e === 'object' && e !== null)
      .map((e) => ({
        code: typeof e.code === 'string' ? e.code : 'UNKNOWN',
        ...(typeof e.message === 'string' ? { message: e.message } : {}),
        ...(e.detail !== undefined ? { detail: e.detail } : {}),
      }));
  } catch {
    return [];
  }
}

const CODE_MAP: Record<string, ErrorCode> = {
  NAME_UNKNOWN: 'NOT_FOUND',
  MANIFEST_UNKNOWN: 'NOT_FOUND',
  BLOB_UNKNOWN: 'NOT_FOUND',
  BLOB_UPLOAD_UNKNOWN: 'NOT_FOUND',
  DENIED: 'DENIED',
  UNAUTHORIZED: 'UNAUTHORIZED',
  TOOMANYREQUESTS: 'TOO_MANY_REQUESTS',
  DIGEST_INVALID: 'DIGEST_MISMATCH',
};

function statusCode(status: number): ErrorCode {
  if (status === 404) return 'NOT_FOUND';
  if (status === 401) return 'UNAUTHORIZED';
  if (status === 403) return 'DENIED';
  if (status === 429) return 'TOO_MANY_REQUESTS';
  if (status === 412) return 'TAG_CONFLICT';
  return 'REGISTRY_ERROR';
}

/** `ACCOUNT.dkr.ecr.REGION.amazonaws.com` → REGION. */
export function ecrRegion(host: string): string | undefined {
  const m = /^\d+\.dkr\.ecr(?:-fips)?\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?$/.exec(hostnameOf(host).toLowerCase());
  return m?.[1];
}

export interface ErrorContext {
  host: string;
  /** Repository path, when the request concerned one. */
  repository?: string;
  method: string;
  /** Names the object: `manifest library/nginx:1.27`, `blob sha256:0123…`. */
  what: string;
}

function immutableTag(entries: RegistryErrorEntry[]): boolean {
  return entries.some((e) => /immutable|already exists|cannot be overwritten/i.test(e.message ?? ''));
}

function hintFor(code: ErrorCode, entries: RegistryErrorEntry[], ctx: ErrorContext): string | undefined {
  const codes = new Set(entries.map((e) => e.code));
  const writing = ctx.method !== 'GET' && ctx.method !== 'HEAD';
  const repo = ctx.repository ?? 'REPOSITORY';
  if (codes.has('NAME_UNKNOWN') || (code === 'NOT_FOUND' && writing)) {
    const region = ecrRegion(ctx.host);
    if (region !== undefined && writing) {
      return `ECR needs the repository before the first push: aws ecr create-repository --repository-name ${repo} --region ${region}`;
    }
    if (writing) {
      return `create the repository ${repo} (or its project / namespace) on ${ctx.host} first; Harbor projects, ECR and some Artifactory setups do not create them on push`;
    }
    return `check the repository name ${repo} and that your credentials for ${ctx.host} may read it`;
  }
  switch (code) {
    case 'NOT_FOUND':
      return 'check the tag or digest; list the tags with skopeo list-tags, or pick another reference';
    case 'UNAUTHORIZED':
      return `log in first: airlock login ${ctx.host} -u USER --password-stdin (or docker login / podman login)`;
    case 'DENIED':
      return writing
        ? `the account for ${ctx.host} is not allowed to push to ${repo}; ask for push rights or use another account`
        : `the account for ${ctx.host} is not allowed to read ${repo}; log in with an account that may`;
    case 'TOO_MANY_REQUESTS':
      return 'the registry rate-limits this client; wait, log in (anonymous limits are lower), or run again later';
    case 'TAG_CONFLICT':
      return 'the tag is immutable on this registry; push under a new tag or lift the immutability rule';
    case 'DIGEST_MISMATCH':
      return 'the registry received bytes that do not match their digest; run the command again, and check any proxy in between';
    default:
      if (codes.has('TAG_INVALID')) return 'the registry refused the tag; check its tag rules (name pattern, immutability)';
      if (codes.has('MANIFEST_BLOB_UNKNOWN')) return 'a blob the manifest references is missing on the registry; run the push again';
      if (codes.has('MANIFEST_INVALID') || codes.has('UNSUPPORTED')) {
        return `${ctx.host} does not accept this manifest (some registries refuse OCI indexes or artifacts); check the registry's supported media types`;
      }
      if (codes.has('NAME_INVALID')) return `the registry refused the repository name ${repo}; check its naming rules`;
      if (codes.has('DENIED')) return `the account for ${ctx.host} may not do this on ${repo}`;
      return 'the registry refused the request; run the command again, and check the registry logs if it persists';
  }
}

/**
 * Turns a registry's error answer into one AirlockError naming the host and the object,
 * with the registry's own words and a hint. The caller redacts secrets from it.
 */
export function registryError(status: number, body: Buffer, ctx: ErrorContext): AirlockError {
  const entries = parseErrorBody(body);
  const first = entries[0];
  let code: ErrorCode = first !== undefined ? (CODE_MAP[first.code] ?? statusCode(status)) : statusCode(status);
  if (first?.code === 'TAG_INVALID' && immutableTag(entries)) code = 'TAG_CONFLICT';
  if (status === 429) code = 'TOO_MANY_REQUESTS';

  const said =
    entries.length > 0
      ? entries.map((e) => `${e.code}${e.message !== undefined ? `: ${e.message}` : ''}`).join('; ')
      : shortText(body);
  const message = `${ctx.method} ${ctx.what} on ${ctx.host} failed with HTTP ${status}${said !== '' ? ` (${said})` : ''}`;
  const hint = hintFor(code, entries, ctx);
  const retryable = status >= 500 || status === 429 || status === 408;
  return new AirlockError(code, message, { ...(hint !== undefined ? { hint } : {}), retryable });
}

/** A non-JSON error body (an HTML page from a proxy) is cut to one short line. */
function shortText(body: Buffer): string {
  const text = body.toString('utf8').replace(/<[^>]*>/g, ' ').replace(/\s+/g, ' ').trim();
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}
