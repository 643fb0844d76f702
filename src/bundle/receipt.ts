import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { sha256Digest } from '../content/digest.js';
import { AirlockError, messageOf } from '../errors.js';
import { writeFileAtomic } from '../layout/atomic.js';
import type { Digest } from '../oci/digest.js';
import { DigestSchema } from '../oci/schemas.js';
import { signPayload, toSignatureFile, verifyPayload, type PrivateKey, type PublicKey } from '../sign/index.js';
import { canonicalJson } from './canonical.js';
import { walkGraph } from './graph.js';
import type { PushPlan } from './plan.js';
import { BundleSource, type OpenedBundle } from './read.js';

export const RECEIPT_FORMAT = 'airlock.receipt.v1';
/** DSSE payload type of a receipt's signature: never confused with a bundle's. */
export const RECEIPT_PAYLOAD_TYPE = 'application/vnd.airlock.receipt.v1+json';

const TagSchema = z.object({ tag: z.string(), digest: DigestSchema });

/**
 * What a registry is known to hold: written by `push --receipt` (everything it read
 * back or found present) or by `inventory` (a registry filled by other means). It
 * travels back to the connected side as the base of the next delta.
 */
export const ReceiptSchema = z.object({
  format: z.literal(RECEIPT_FORMAT),
  kind: z.enum(['receipt', 'inventory']),
  created: z.string(),
  /** `HOST/PREFIX` as given to push or inventory. */
  registry: z.string(),
  /** sha256 of the pushed bundle's airlock.json (receipts only). */
  bundle: DigestSchema.optional(),
  /** Every repository touched, with its tags (path below the host). */
  repositories: z.array(z.object({ name: z.string(), tags: z.array(TagSchema) })),
  /** Every manifest and blob digest confirmed present, sorted. */
  digests: z.array(DigestSchema),
});

export type Receipt = z.infer<typeof ReceiptSchema>;

/** A receipt as read from its file: the content, its digest, and its signature if any. */
export interface ReceiptFile {
  receipt: Receipt;
  /** sha256 of the receipt's canonical JSON (without the signature): how a delta names it. */
  digest: Digest;
  signed: boolean;
}

/** Canonical bytes of a receipt: what is signed and hashed, whatever the file's layout. */
export function receiptBytes(receipt: Receipt): Buffer {
  return Buffer.from(canonicalJson(receipt));
}

/** The file's text: the receipt with its Sigstore bundle under `signature` (signed over receiptBytes). */
export function receiptText(receipt: Receipt, key?: PrivateKey): string {
  const signature = key === undefined ? undefined : signPayload(receiptBytes(receipt), key, { payloadType: RECEIPT_PAYLOAD_TYPE });
  return `${JSON.stringify({ ...receipt, ...(signature ? { signature } : {}) }, null, 2)}\n`;
}

export async function writeReceipt(path: string, receipt: Receipt, key?: PrivateKey): Promise<void> {
  await writeFileAtomic(path, receiptText(receipt, key), 'receipt');
}

/** Whether parsed JSON looks like a receipt or inventory (for base detection). */
export function isReceiptJson(json: unknown): boolean {
  return typeof json === 'object' && json !== null && (json as { format?: unknown }).format === RECEIPT_FORMAT;
}

/**
 * Parses a receipt; with keys, every key must have signed exactly these contents
 * (a receipt edited after signing fails here). Without keys it is read as a hint.
 */
export function parseReceipt(json: unknown, name: string, keys: readonly PublicKey[] = []): ReceiptFile {
  const { signature, ...rest } = (typeof json === 'object' && json !== null ? json : {}) as Record<string, unknown>;
  let receipt: Receipt;
  try {
    receipt = ReceiptSchema.parse(rest);
  } catch (cause) {
    throw new AirlockError('MANIFEST_INVALID', `${name} is not an airlock receipt or inventory: ${messageOf(cause)}`, { cause, hint: 'give the file push --receipt or inventory wrote' });
  }
  const bytes = receiptBytes(receipt);
  if (keys.length > 0) {
    if (signature === undefined) {
      throw new AirlockError('SIGNATURE_MISSING', `${name} is not signed, but a key was given to check it`, { hint: 'sign receipts with push --receipt-key' });
    }
    verifyPayload(bytes, [toSignatureFile(`${name} signature`, signature)], { keys, payloadType: RECEIPT_PAYLOAD_TYPE });
  }
  return { receipt, digest: sha256Digest(bytes), signed: signature !== undefined };
}

export async function readReceipt(path: string, keys: readonly PublicKey[] = []): Promise<ReceiptFile> {
  let json: unknown;
  try {
    json = JSON.parse(await readFile(path, 'utf8'));
  } catch (cause) {
    throw new AirlockError('MANIFEST_INVALID', `${path} is not JSON: ${messageOf(cause)}`, { cause });
  }
  return parseReceipt(json, path, keys);
}

/** Path of `HOST/PATH` below its host. */
function pathOf(repository: string): string {
  return repository.slice(repository.indexOf('/') + 1);
}

/** Every item's tag and graph: after a push, all of it was read back or found present. */
export async function receiptForPush(bundle: OpenedBundle, plan: PushPlan, created: string): Promise<Receipt> {
  const source = new BundleSource(bundle);
  const digests = new Set<string>();
  const repositories = new Map<string, Map<string, Digest>>();
  for (const item of plan.items) {
    const graph = await walkGraph(source, await source.resolve(item.digest), item.source);
    for (const d of graph.nodes.keys()) digests.add(d);
    const tags = repositories.get(pathOf(item.repository)) ?? new Map<string, Digest>();
    const at = item.target.slice(item.repository.length);
    if (at.startsWith(':')) tags.set(at.slice(1), item.digest);
    repositories.set(pathOf(item.repository), tags);
  }
  return {
    format: RECEIPT_FORMAT,
    kind: 'receipt',
    created,
    registry: `${plan.registry.host}${plan.registry.prefix !== '' ? `/${plan.registry.prefix}` : ''}`,
    bundle: sha256Digest(bundle.manifestBytes),
    repositories: sortRepositories(repositories),
    digests: [...digests].sort() as Digest[],
  };
}

export function sortRepositories(repositories: Map<string, Map<string, Digest>>): Receipt['repositories'] {
  return [...repositories.entries()]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([name, tags]) => ({ name, tags: [...tags.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([tag, digest]) => ({ tag, digest })) }));
}
