import { Readable } from 'node:stream';
import { AirlockError } from '../errors.js';
import { BLOCK, TarHeaderDecoder, firstNonZero, padding } from './tar-header.js';
import { MAX_LISTED_ENTRIES, invalidExtension, invalidHeader, missingEnd, toArchiveEntry, trailingData, truncatedIn, type Place } from './tar-index.js';
import type { SequentialEntry } from './types.js';

const CHUNK = 256 * 1024;

/** Pull-style reads over a byte stream: exact header blocks, bounded content chunks. */
class ChunkReader {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private ended = false;
  /** Bytes handed out or skipped so far: the position in the tar. */
  position = 0;

  constructor(private readonly source: AsyncIterator<Buffer>) {}

  private async fill(want: number): Promise<void> {
    while (this.buffered < want && !this.ended) {
      const next = await this.source.next();
      if (next.done) {
        this.ended = true;
        break;
      }
      const chunk = Buffer.isBuffer(next.value) ? next.value : Buffer.from(next.value);
      if (chunk.length === 0) continue;
      this.chunks.push(chunk);
      this.buffered += chunk.length;
    }
  }

  private take(n: number): Buffer {
    const out: Buffer[] = [];
    let need = n;
    while (need > 0) {
      const head = this.chunks[0]!;
      if (head.length <= need) {
        out.push(head);
        this.chunks.shift();
        need -= head.length;
      } else {
        out.push(head.subarray(0, need));
        this.chunks[0] = head.subarray(need);
        need = 0;
      }
    }
    this.buffered -= n;
    this.position += n;
    return out.length === 1 ? out[0]! : Buffer.concat(out);
  }

  /** Exactly `n` bytes, or fewer at the end of the stream. */
  async exact(n: number): Promise<Buffer> {
    await this.fill(n);
    return this.take(Math.min(n, this.buffered));
  }

  /** Between 1 and `max` bytes, or an empty buffer at the end of the stream. */
  async some(max: number): Promise<Buffer> {
    if (this.buffered === 0) await this.fill(1);
    return this.take(Math.min(max, this.buffered));
  }

  /** Skips `n` bytes; returns how many were there. */
  async skip(n: number): Promise<number> {
    let left = n;
    while (left > 0) {
      const got = await this.some(Math.min(left, CHUNK * 4));
      if (got.length === 0) break;
      left -= got.length;
    }
    return n - left;
  }
}

/** One entry's content, pulled from the shared reader only while the consumer reads. */
class EntryStream extends Readable {
  remaining: number;
  pending: Promise<void> | undefined;
  /** Set when the archive (not the consumer) failed this stream. */
  failure: Error | undefined;

  constructor(
    private readonly reader: ChunkReader,
    readonly size: number,
    private readonly onTruncated: () => Error,
  ) {
    super({ highWaterMark: CHUNK });
    this.remaining = size;
    if (size === 0) this.push(null);
  }

  override _read(): void {
    if (this.pending || this.remaining === 0) return;
    this.pending = this.reader.some(Math.min(this.remaining, CHUNK)).then(
      (chunk) => {
        this.pending = undefined;
        if (this.destroyed) return;
        if (chunk.length === 0) {
          this.failure = this.onTruncated();
          this.destroy(this.failure);
          return;
        }
        this.remaining -= chunk.length;
        this.push(chunk);
        if (this.remaining === 0) this.push(null);
      },
      (err: unknown) => {
        this.pending = undefined;
        this.failure = err as Error;
        this.destroy(this.failure);
      },
    );
  }
}

/**
 * A bound on the bytes a (decompressed) stream may hold: checked against every
 * declared entry size before its content is read, skipped entries included, and
 * against the zeros after the end marker.
 */
export interface StreamLimit {
  maxBytes: number;
  /** The error for `what` (an entry, or the data after the end) reaching `bytes`. */
  exceeded(what: string, bytes: number): Error;
}

/**
 * Parses a tar from a stream, in one pass: each entry comes with a stream of its
 * content. Moving to the next entry skips whatever the consumer left unread, so
 * the consumer must be done with (or give up on) one stream before asking for the
 * next. `offsets` says whether positions in the stream are positions in a file.
 */
export async function* parseTarStream(input: Readable, place: Place, offsets: boolean, limit?: StreamLimit): AsyncGenerator<SequentialEntry> {
  const reader = new ChunkReader(input[Symbol.asyncIterator]() as AsyncIterator<Buffer>);
  const decoder = new TarHeaderDecoder();
  let current: EntryStream | undefined;
  let count = 0;
  let previous: string | undefined;
  const headerAfter = (): string => (previous === undefined ? 'the first header' : `the header after entry ${previous}`);
  try {
    for (;;) {
      if (current) {
        const stream = current;
        current = undefined;
        // Let an in-flight read land before skipping, so the two never interleave.
        while (stream.pending) await stream.pending.catch(() => undefined);
        if (stream.failure) throw stream.failure;
        const rest = stream.remaining;
        stream.remaining = 0;
        if (!stream.readableEnded) stream.destroy();
        const pad = padding(stream.size);
        const skipped = await reader.skip(rest + pad);
        if (skipped < rest) throw truncatedIn(place, `entry ${previous}`);
      }
      const at = reader.position;
      const block = await reader.exact(BLOCK);
      if (block.length === 0) throw missingEnd(place);
      if (block.length < BLOCK) throw truncatedIn(place, headerAfter());
      const step = decoder.header(block, at);
      if (step.kind === 'end') {
        // Only zeros may follow the end marker: anything else is data another reader would see.
        for (;;) {
          const start = reader.position;
          const chunk = await reader.some(CHUNK);
          if (chunk.length === 0) return;
          const i = firstNonZero(chunk);
          if (i >= 0) throw trailingData(place, start + i);
          if (limit && reader.position > limit.maxBytes) throw limit.exceeded('the archive goes on with zeros after its end-of-archive marker', reader.position);
        }
      }
      if (step.kind === 'invalid') throw invalidHeader(place, at, step.why);
      if (step.kind === 'meta') {
        const body = await reader.exact(step.size);
        if (body.length < step.size) throw truncatedIn(place, headerAfter());
        const why = decoder.meta(body);
        if (why !== undefined) throw invalidExtension(place, at, why);
        if ((await reader.skip(padding(step.size))) < padding(step.size)) throw truncatedIn(place, headerAfter());
        continue;
      }
      const entry = toArchiveEntry(step.entry, place.name, offsets);
      // Declared sizes are judged before a byte of content is read, whether or not the consumer wants it.
      if (limit && step.entry.dataOffset + entry.size > limit.maxBytes) throw limit.exceeded(`entry ${JSON.stringify(entry.path)} declares ${entry.size} bytes, so the archive holds at least`, step.entry.dataOffset + entry.size);
      if (++count > MAX_LISTED_ENTRIES) {
        throw new AirlockError('ARCHIVE_INVALID', `${place.name} has more than ${MAX_LISTED_ENTRIES} entries`, { hint: 'this is not an airlock bundle' });
      }
      previous = entry.path;
      const path = entry.path;
      current = new EntryStream(reader, entry.size, () => truncatedIn(place, `entry ${path}`));
      yield { entry, stream: current };
    }
  } finally {
    current?.destroy();
    input.destroy();
  }
}
