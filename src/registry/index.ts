export { RegistryClient } from './client.js';
export type { Operation, RegistrySession } from './session.js';
export { RegistryRepository, nextLink } from './repository.js';
export { HarborApi } from './harbor.js';
export { checkPushAccess, referrersSupported } from './probe.js';
export { RegistryPool, openRegistryTarget, type OpenedRegistryTarget } from './open.js';
export type { PushOptions } from './upload.js';
export type { RegistryOptions, RegistryEvent, RetryPolicy, Timeouts, UploadPolicy } from './options.js';
export { DEFAULT_RETRY, DEFAULT_TIMEOUTS, DEFAULT_UPLOAD } from './options.js';
export {
  findCredentials,
  runCredentialHelper,
  credentialFiles,
  dockerConfigPath,
  canonicalHost,
  normalizeConfigKey,
  type Credentials,
  type CredentialsProvider,
  type ExplicitCredentials,
  type LookupOptions,
} from './credentials.js';
export { saveLogin, removeLogin } from './login.js';
export { login, logout, hostArgument, type LoginRequest, type LoginResult } from './account.js';
export { parseChallenges, pickChallenge, type Challenge } from './challenge.js';
export { registryError, parseErrorBody, ecrRegion } from './errors.js';
export { parseRetryAfter, backoffDelay } from './retry.js';
export { isLoopbackHost, isInsecureHost } from './transport.js';
export { createUrlFetcher, type UrlFetcher, type UrlFetcherHandle } from './url.js';
export { UploadStateFiles, defaultStateDir, type UploadState, type UploadStateStore } from './upload-state.js';
export { parseMirrorFlag, readRegistriesConf, mirrorRules, pullLocations, withMirrors, type MirrorRule } from './mirrors.js';
export { MirroredSource } from './mirror-source.js';
export { parseTomlLite } from './toml-lite.js';
