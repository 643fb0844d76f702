import type { ImageSignaturePolicy } from '../bundle/image-signatures.js';
import { AirlockError } from '../errors.js';
import { loadPublicKey } from '../sign/index.js';
import { list } from './options.js';

export interface ImageSignatureFlags {
  imageKey?: unknown;
  requireImageSignatures?: boolean;
}

/** `--image-key` and `--require-image-signatures`, shared by pack, verify and push. */
export function withImageSignatureOptions<T extends { option: (raw: string, description: string) => T }>(command: T): T {
  return command
    .option('--image-key <file>', "A cosign public key: check the images' cosign signatures offline with it (repeatable)")
    .option('--require-image-signatures', 'Fail, before anything is written or sent, unless every image and platform has a good signature');
}

/** The image-signature policy the flags ask for, or undefined when they ask for none. */
export async function imageSignaturePolicy(flags: ImageSignatureFlags): Promise<ImageSignaturePolicy | undefined> {
  const files = list(flags.imageKey);
  if (files.length === 0 && flags.requireImageSignatures !== true) return undefined;
  if (files.length === 0) {
    throw new AirlockError('USAGE', '--require-image-signatures needs --image-key', { hint: "give the vendor's cosign public key: --image-key cosign.pub" });
  }
  return { keys: await Promise.all(files.map((f) => loadPublicKey(f))), require: flags.requireImageSignatures === true };
}
