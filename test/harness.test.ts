import { createHash } from 'node:crypto';
import { describe, expect, inject, it } from 'vitest';
import { startRegistry } from './harness/registry.js';

const registry = inject('registry');

async function pushBlob(base: string, repo: string, body: Buffer): Promise<string> {
  const digest = `sha256:${createHash('sha256').update(body).digest('hex')}`;
  const start = await fetch(`${base}/v2/${repo}/blobs/uploads/`, { method: 'POST' });
  expect(start.status).toBe(202);
  const location = new URL(start.headers.get('location') ?? '', base);
  location.searchParams.set('digest', digest);
  const put = await fetch(location, {
    method: 'PUT',
    headers: { 'content-type': 'application/octet-stream' },
    body,
  });
  expect(put.status).toBe(201);
  return digest;
}

describe('test harness: the real docker-registry', () => {
  it('answers /v2/ on the loopback address it was given', async () => {
    expect(registry).toMatch(/^127\.0\.0\.1:\d+$/);
    const res = await fetch(`http://${registry}/v2/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('docker-distribution-api-version')).toBe('registry/2.0');
  });

  it('round-trips a blob with plain fetch', async () => {
    const body = Buffer.from(`harness blob ${Date.now()}`);
    const digest = await pushBlob(`http://${registry}`, 'harness/blob', body);
    const res = await fetch(`http://${registry}/v2/harness/blob/blobs/${digest}`);
    expect(res.status).toBe(200);
    expect(Buffer.from(await res.arrayBuffer())).toEqual(body);
  });

  it('starts a second registry with basic auth and stops exactly it', async () => {
    const second = await startRegistry({ htpasswd: { user: 'alice', password: 's3cret' } });
    try {
      expect((await fetch(`${second.url}/v2/`)).status).toBe(401);
      const auth = `Basic ${Buffer.from('alice:s3cret').toString('base64')}`;
      expect((await fetch(`${second.url}/v2/`, { headers: { authorization: auth } })).status).toBe(200);
    } finally {
      await second.stop();
    }
    await expect(fetch(`${second.url}/v2/`)).rejects.toThrow();
    // The shared registry is untouched.
    expect((await fetch(`http://${registry}/v2/`)).status).toBe(200);
  });
});
