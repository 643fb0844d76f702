import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { limiter, readCapped, readVerified, sha256Digest, verified } from '../src/content/index.js';

const body = Buffer.from('the quick brown fox jumps over the lazy dog');
const expected = { digest: sha256Digest(body), size: body.length };
const chunks = (b: Buffer, n = 7) => Readable.from(Array.from({ length: Math.ceil(b.length / n) }, (_, i) => b.subarray(i * n, i * n + n)));

describe('the verifying stream', () => {
  it('passes content that matches size and digest', async () => {
    expect(await readVerified(chunks(body), expected, 'blob x')).toEqual(body);
  });

  it('fails at the end on a digest mismatch, naming the blob', async () => {
    const altered = Buffer.from(body);
    altered[3] = (altered[3] ?? 0) ^ 1;
    await expect(readVerified(chunks(altered), expected, 'blob sha256:abc')).rejects.toMatchObject({
      code: 'DIGEST_MISMATCH',
      message: expect.stringContaining('blob sha256:abc'),
    });
  });

  it('fails on a short body and on the first byte too many, without reading on', async () => {
    await expect(readVerified(chunks(body.subarray(0, 10)), expected, 'b')).rejects.toMatchObject({ code: 'SIZE_MISMATCH', retryable: true });
    let pulled = 0;
    const endless = new Readable({
      read() {
        pulled++;
        this.push(Buffer.alloc(1024));
      },
    });
    await expect(readVerified(endless, { digest: expected.digest, size: 4096 }, 'b')).rejects.toMatchObject({ code: 'SIZE_MISMATCH' });
    expect(pulled).toBeLessThan(50);
  });

  it('lets a consumer that commits on finish never commit bad bytes', async () => {
    let committed = false;
    const sink = new Writable({ write: (_c, _e, cb) => cb(), final: (cb) => ((committed = true), cb()) });
    const altered = Buffer.concat([body.subarray(0, -1), Buffer.from('X')]);
    await expect(pipeline(verified(chunks(altered), expected, 'b'), sink)).rejects.toThrow(/digest/);
    expect(committed).toBe(false);
  });

  it('propagates a source error', async () => {
    const failing = new Readable({ read() { this.destroy(new Error('connection reset')); } });
    await expect(readVerified(failing, expected, 'b')).rejects.toThrow(/connection reset/);
  });

  it('caps reads of unknown size', async () => {
    await expect(readCapped(chunks(body), 10, 'manifest m')).rejects.toMatchObject({ code: 'SIZE_LIMIT' });
    expect(await readCapped(chunks(body), 1000, 'm')).toEqual(body);
  });
});

describe('limiter', () => {
  it('never runs more than max at once, even when slots are handed over', async () => {
    const limit = limiter(3);
    let running = 0;
    let peak = 0;
    const task = async () => {
      running++;
      peak = Math.max(peak, running);
      await new Promise((r) => setTimeout(r, Math.random() * 5));
      running--;
    };
    await Promise.all(Array.from({ length: 50 }, () => limit(task)));
    expect(peak).toBe(3);
  });
  it('keeps going after a task fails', async () => {
    const limit = limiter(1);
    await expect(limit(async () => { throw new Error('x'); })).rejects.toThrow('x');
    expect(await limit(async () => 42)).toBe(42);
  });
});
