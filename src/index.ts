/**
 * airlock as a library: one function per command, typed options in, typed results
 * out, no printing and no process exits. A GitOps controller or a CI script can
 *
 *   import { pack, verify, push } from 'airlock';
 *
 * and get exactly what the CLI does. Acting on a bundle (push, serve, unpack, sign, values)
 * always checks its signature first: those functions take a SignaturePolicy, or a
 * VerifiedBundle that only the signature check can make.
 */

// The commands.
export { pack, type PackOptions, type PackResult, type PackEvent } from './bundle/pack.js';
export { verify, type VerifyReport } from './bundle/verify.js';
export { inspect, type BundleSummary } from './bundle/inspect.js';
export { unpack, unpackBundle, type UnpackOptions, type UnpackResult } from './bundle/unpack.js';
export { push, pushBundle, planPush, type PushRequest, type PushResult, type PushOptions, type PushPlan, type PushedItem } from './bundle/push.js';
export { preflight, PreflightError, type PreflightReport, type PreflightProblem, type PreflightOptions, type TagCheck, type RepositoryCheck } from './bundle/preflight.js';
export { readPlan, writePlan, checkPlan, PushPlanSchema, PLAN_FORMAT } from './bundle/plan.js';
export { resolveProfile, profileByName, PROFILE_NAMES, type ProfileName, type RegistryProfile, type ResolvedProfile } from './bundle/profiles.js';
export { sign, signBundle, type SignResult } from './bundle/sign.js';
export { inventory, type InventoryRequest } from './bundle/inventory.js';
export { readReceipt, parseReceipt, writeReceipt, receiptText, ReceiptSchema, RECEIPT_FORMAT, type Receipt, type ReceiptFile } from './bundle/receipt.js';
export { loadBase, type LoadedBase } from './bundle/base.js';
export { diff, type DiffReport, type ChangedItem, type DiffItem } from './bundle/diff.js';
export { images, type ImagesOptions, type ImagesResult } from './workflows/images.js';
export { values, type ValuesRequest, type ValuesResult } from './workflows/values.js';
export { packChecked, type CheckedPackOptions, type CheckedPackResult } from './workflows/pack.js';
export { serve, serveBundle, loadTls, type ServeOptions, type RunningServer, type RequestEvent, type ServeEvents } from './serve/server.js';

// Trust.
export { VerifiedBundle, openVerifiedBundle } from './bundle/verified.js';
export type { SignaturePolicy, KeylessPolicy, Signer } from './bundle/signers.js';
export { generateKeyPair, writeKeyPair, loadPublicKey, loadPrivateKey, parsePublicKey, parsePrivateKey, type PublicKey, type PrivateKey } from './sign/index.js';

// What the commands take.
export { gatherSpec, validateSpec, loadSpec, parseImageList, type PackSpec, type SpecInputs } from './bundle/spec.js';
export { parseTargetRegistry, mapReference, type MappingMode, type MappingOptions, type TargetRegistry } from './bundle/mapping.js';
export { RegistryPool, createUrlFetcher, login, logout, type RegistryOptions, type RegistryEvent, type Credentials, type LoginRequest, type LoginResult } from './registry/index.js';
// Long transfers: resumable uploads, pulls through mirrors.
export { UploadStateFiles, defaultStateDir, type UploadState, type UploadStateStore } from './registry/index.js';
export { withMirrors, parseMirrorFlag, readRegistriesConf, type MirrorRule } from './registry/index.js';
export { parseImageRef, formatImageRef, type ImageRef } from './ref/index.js';
export { parseDigest, isDigest, type Digest } from './oci/digest.js';
export type { Descriptor } from './oci/schemas.js';
export type { CopyEvent } from './copy/index.js';

// Errors: one type, a string code per failure class.
export { AirlockError, isAirlockError, type ErrorCode } from './errors.js';
export { VERSION } from './version.js';
