/**
 * The one error type of airlock. Library code throws only AirlockError (or lets
 * a Node error escape as `cause`); the CLI maps `code` to an exit code in one
 * place (src/cli/exit.ts) and prints `message` plus `hint`.
 */
export type ErrorCode =
  // the user's words are off: bad flags, bad reference, bad spec file
  | 'USAGE'
  | 'REF_INVALID'
  | 'SPEC_INVALID'
  // two sources would land on one target name (a shortened or flattened path)
  | 'NAME_COLLISION'
  // a push plan file made for another bundle, or not a plan
  | 'PLAN_MISMATCH'
  // content does not match what was promised
  | 'INTEGRITY'
  | 'DIGEST_MISMATCH'
  | 'SIZE_MISMATCH'
  | 'SIZE_LIMIT'
  | 'MANIFEST_INVALID'
  | 'MEDIA_TYPE_UNSUPPORTED'
  // an OCI layout folder or bundle archive is malformed
  | 'LAYOUT_INVALID'
  | 'ARCHIVE_INVALID'
  | 'PATH_UNSAFE'
  // signatures
  | 'SIGNATURE_MISSING'
  | 'SIGNATURE_INVALID'
  | 'KEY_INVALID'
  // registries and the network
  | 'NOT_FOUND'
  | 'UNAUTHORIZED'
  | 'DENIED'
  | 'REGISTRY_ERROR'
  | 'TAG_CONFLICT'
  // a Harbor project (the first path element) that does not exist
  | 'PROJECT_MISSING'
  // the preflight found problems (each with its own code) before anything was sent
  | 'PREFLIGHT_FAILED'
  | 'NETWORK'
  | 'TIMEOUT'
  | 'TOO_MANY_REQUESTS'
  // a chart's images: one the bundle lacks (pack --strict), or one an overlay cannot move (values)
  | 'CHART_IMAGES'
  // a delta bundle's left-out blobs: no base given, the wrong base, or a target that lacks them
  | 'BASE_MISSING'
  | 'BASE_MISMATCH'
  // an image's cosign signature is missing or does not hold (--require-image-signatures)
  | 'IMAGE_SIGNATURE'
  // local files and the machine
  | 'FILE_EXISTS'
  | 'IO'
  | 'LISTEN_FAILED'
  | 'INTERRUPTED'
  | 'INTERNAL';

export interface ErrorDetails {
  /** One sentence on what the user can do about it. */
  hint?: string;
  cause?: unknown;
  /** Whether running the same command again may succeed (network faults, 5xx). */
  retryable?: boolean;
}

export class AirlockError extends Error {
  readonly code: ErrorCode;
  readonly hint: string | undefined;
  readonly retryable: boolean;

  constructor(code: ErrorCode, message: string, details: ErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'AirlockError';
    this.code = code;
    this.hint = details.hint;
    this.retryable = details.retryable ?? false;
  }
}

export function isAirlockError(err: unknown, code?: ErrorCode): err is AirlockError {
  return err instanceof AirlockError && (code === undefined || err.code === code);
}

/** Message of any thrown value, for wrapping foreign errors. */
export function messageOf(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
