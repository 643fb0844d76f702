import { Transform, type TransformCallback } from 'node:stream';

/**
 * Passes on bytes [start, end] (inclusive) of the stream it sits behind, and holds
 * its last chunk back until the stream before it has ended cleanly. Behind the
 * verifying stream that means: the response is never complete before the whole blob
 * has been hashed and matched its digest. If the file changed underneath, the
 * verifier fails at its end, the connection is cut, and the client has fewer bytes
 * than Content-Length promised: never wrong bytes in a transfer that completes.
 */
export class Window extends Transform {
  private position = 0;
  private held: Buffer | undefined;
  /** Bytes passed on so far, for the request log. */
  sent = 0;

  constructor(
    private readonly first: number,
    private readonly last: number,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    const from = Math.max(this.first - this.position, 0);
    const to = Math.min(this.last + 1 - this.position, chunk.length);
    this.position += chunk.length;
    if (to > from) {
      this.release();
      this.held = chunk.subarray(from, to);
    }
    done();
  }

  override _flush(done: TransformCallback): void {
    this.release();
    done();
  }

  private release(): void {
    if (this.held === undefined) return;
    this.sent += this.held.length;
    this.push(this.held);
    this.held = undefined;
  }
}
