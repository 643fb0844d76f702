export * from './keys.js';
export * from './dsse.js';
export * from './signatures.js';
export * from './sign.js';
export * from './verify.js';
export * from './keyless.js';
export { checkEnvelope, claimedKeyId } from './envelope.js';
export * from './cosign.js';
export * from './cosign-keyless.js';
