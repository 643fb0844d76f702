import type { ExplicitCredentials } from './credentials.js';
import type { UploadStateStore } from './upload-state.js';

/** How often and how patiently a failed request is tried again. */
export interface RetryPolicy {
  /** Retries after the first attempt (0 = never retry). */
  retries: number;
  /** First backoff delay; each retry doubles it, with full jitter. */
  baseDelayMs: number;
  /** Ceiling for one backoff delay, and for a server's Retry-After. */
  maxDelayMs: number;
}

export interface Timeouts {
  /** TCP + TLS handshake. */
  connectMs: number;
  /**
   * Socket inactivity, in either direction. Not a total cap: a 5 GB layer may take
   * as long as it takes while bytes keep moving.
   */
  idleMs: number;
  /** How long a streamed upload waits for `100 Continue` before sending anyway. */
  continueMs: number;
}

export interface UploadPolicy {
  /** Blobs up to this size go in one PUT (POST + PUT); larger ones in PATCH chunks. */
  monolithicLimit: number;
  /** Size of one PATCH request body. ECR wants >= 5 MiB for every chunk but the last. */
  chunkSize: number;
}

/** What a retry or token refresh looked like: for progress displays and tests, never printed by the library. */
export interface RegistryEvent {
  /**
   * `resume`: an interrupted upload continues at `detail`; `restart`: its session was
   * gone, it starts over; `unresumable`: its state could not be recorded (`detail` says
   * why), so an interrupt would start it over.
   */
  kind: 'retry' | 'token' | 'redirect' | 'mount' | 'resume' | 'restart' | 'unresumable';
  host: string;
  /** Names the request: `GET manifest library/nginx:1.27`. No secrets, no query strings. */
  what: string;
  detail?: string;
  delayMs?: number;
}

export interface RegistryOptions {
  /** Hosts (`HOST[:PORT]`) spoken to over plain http or https without verification. */
  insecureRegistries?: string[];
  /** PEM file with extra CA certificates for private registries (added to the system roots). */
  caFile?: string;
  /**
   * Explicit credentials (command-line flags), keyed by registry host or given by a
   * function; they win over every file. Keyed so a login is never sent to another host.
   */
  credentials?: ExplicitCredentials;
  /** Where config files are looked up; tests point these at temp folders. Default: process.env and os.homedir(). */
  env?: NodeJS.ProcessEnv;
  home?: string;
  retry?: Partial<RetryPolicy>;
  timeouts?: Partial<Timeouts>;
  upload?: Partial<UploadPolicy>;
  /** Connections per host kept open and reused. */
  maxSockets?: number;
  userAgent?: string;
  onEvent?: (event: RegistryEvent) => void;
  /**
   * Where chunked uploads record their session and offset, so an interrupted push
   * continues inside a blob on the next run. Without it every cut upload starts over.
   */
  uploadState?: UploadStateStore;
}

export const DEFAULT_RETRY: RetryPolicy = { retries: 5, baseDelayMs: 500, maxDelayMs: 30_000 };
export const DEFAULT_TIMEOUTS: Timeouts = { connectMs: 30_000, idleMs: 120_000, continueMs: 1_000 };
export const DEFAULT_UPLOAD: UploadPolicy = { monolithicLimit: 16 * 1024 * 1024, chunkSize: 64 * 1024 * 1024 };
