import { createHash } from 'node:crypto';
import { digestFromHex, digestHex, type Digest } from '../oci/digest.js';

/** `sha256:<hex>` of bytes held in memory (manifests and small JSON only). */
export function sha256Digest(bytes: Uint8Array | string): Digest {
  return digestFromHex(createHash('sha256').update(bytes).digest('hex'));
}

export { digestHex };

/** A short form for messages: `sha256:0123456789ab`. */
export function shortDigest(digest: string): string {
  return digest.slice(0, 'sha256:'.length + 12);
}

/**
 * sha256 and length of a stream, read once. `onChunk` sees each chunk's length
 * (progress). For content whose digest is already known, use verified() instead.
 */
export async function hashStream(source: AsyncIterable<unknown>, onChunk?: (length: number) => void): Promise<{ hex: string; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of source) {
    const buf = chunk as Buffer;
    hash.update(buf);
    size += buf.length;
    onChunk?.(buf.length);
  }
  return { hex: hash.digest('hex'), size };
}
