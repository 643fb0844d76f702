import type { ErrorCode } from '../errors.js';

/**
 * The one place error codes become exit codes. Each failure class has its own
 * code so scripts can tell "fix your command" from "the bundle is bad" from
 * "the network failed, try again".
 */
export const ExitCode = {
  OK: 0,
  INTERNAL: 1,
  USAGE: 2,
  SIGNATURE: 3,
  INTEGRITY: 4,
  LAYOUT: 5,
  REGISTRY: 6,
  NETWORK: 7,
  AUTH: 8,
  IO: 9,
  PREFLIGHT: 10,
  CHART_IMAGES: 11,
  BASE: 12,
  IMAGE_SIGNATURE: 13,
  INTERRUPTED: 130,
} as const;

const BY_CODE: Record<ErrorCode, number> = {
  USAGE: ExitCode.USAGE,
  REF_INVALID: ExitCode.USAGE,
  SPEC_INVALID: ExitCode.USAGE,
  FILE_EXISTS: ExitCode.USAGE,
  NAME_COLLISION: ExitCode.USAGE,
  PLAN_MISMATCH: ExitCode.USAGE,
  INTEGRITY: ExitCode.INTEGRITY,
  DIGEST_MISMATCH: ExitCode.INTEGRITY,
  SIZE_MISMATCH: ExitCode.INTEGRITY,
  SIZE_LIMIT: ExitCode.INTEGRITY,
  MANIFEST_INVALID: ExitCode.INTEGRITY,
  MEDIA_TYPE_UNSUPPORTED: ExitCode.INTEGRITY,
  LAYOUT_INVALID: ExitCode.LAYOUT,
  ARCHIVE_INVALID: ExitCode.LAYOUT,
  PATH_UNSAFE: ExitCode.LAYOUT,
  SIGNATURE_MISSING: ExitCode.SIGNATURE,
  SIGNATURE_INVALID: ExitCode.SIGNATURE,
  KEY_INVALID: ExitCode.SIGNATURE,
  NOT_FOUND: ExitCode.REGISTRY,
  DENIED: ExitCode.AUTH,
  UNAUTHORIZED: ExitCode.AUTH,
  REGISTRY_ERROR: ExitCode.REGISTRY,
  TAG_CONFLICT: ExitCode.REGISTRY,
  PROJECT_MISSING: ExitCode.REGISTRY,
  PREFLIGHT_FAILED: ExitCode.PREFLIGHT,
  TOO_MANY_REQUESTS: ExitCode.NETWORK,
  NETWORK: ExitCode.NETWORK,
  TIMEOUT: ExitCode.NETWORK,
  IO: ExitCode.IO,
  CHART_IMAGES: ExitCode.CHART_IMAGES,
  BASE_MISSING: ExitCode.BASE,
  BASE_MISMATCH: ExitCode.BASE,
  IMAGE_SIGNATURE: ExitCode.IMAGE_SIGNATURE,
  LISTEN_FAILED: ExitCode.IO,
  INTERRUPTED: ExitCode.INTERRUPTED,
  INTERNAL: ExitCode.INTERNAL,
};

export function exitCodeFor(code: ErrorCode): number {
  return BY_CODE[code];
}
