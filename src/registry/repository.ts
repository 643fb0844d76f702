import { Readable } from 'node:stream';
import type { FetchOptions, Target } from '../content/target.js';
import { sha256Digest, shortDigest } from '../content/digest.js';
import type { Digest } from '../oci/digest.js';
import { MANIFEST_SIZE_LIMIT, readCapped } from '../content/verify.js';
import { AirlockError } from '../errors.js';
import { parseManifest } from '../oci/manifest.js';
import { MANIFEST_ACCEPT, MediaType, isManifestType } from '../oci/media-types.js';
import { IndexSchema, type Descriptor } from '../oci/schemas.js';
import { isValidTag, parseDigest } from '../ref/image.js';
import { repositoryScope } from './auth.js';
import { discard, readSome, type RegistrySession } from './session.js';
import { openBlob } from './download.js';
import { checkPushAccess, referrersSupported } from './probe.js';
import { uploadBlob, uploadLocation, type PushOptions } from './upload.js';
import { responseHeader, type HttpResponse } from './transport.js';
import { nextLink } from './link.js';
import { listReferrers } from './referrers.js';

export { nextLink } from './link.js';

/** `application/vnd.oci.image.manifest.v1+json; charset=utf-8` → the bare type. */
function mediaTypeOf(res: HttpResponse): string | undefined {
  const ct = responseHeader(res, 'content-type');
  return ct === undefined ? undefined : ct.split(';')[0]!.trim();
}

/**
 * One repository of a registry, as a copy source and destination. Manifests are
 * read whole (capped at 4 MiB) and their digest computed from the bytes; blobs
 * stream. Uploads commit only after the verifying input stream ended cleanly.
 */
export class RegistryRepository implements Target {
  /** `HOST/REPOSITORY`, for messages. */
  readonly name: string;
  /** Uploads report bytes sent: a resumable chunk is read whole before it goes out. */
  readonly reportsProgress = true;
  /** Upload sessions opened by a mount the registry declined (202): the push continues in them. */
  private readonly sessions = new Map<string, URL>();

  constructor(
    readonly client: RegistrySession,
    readonly repository: string,
  ) {
    this.name = `${client.host}/${repository}`;
  }

  private describe(reference: string): string {
    return reference.startsWith('sha256:') ? `manifest ${this.repository}@${reference}` : `manifest ${this.repository}:${reference}`;
  }

  private checkReference(reference: string): void {
    if (reference.includes(':')) parseDigest(reference, `${this.name}@${reference}`);
    else if (!isValidTag(reference)) {
      throw new AirlockError('REF_INVALID', `"${reference}" is not a valid tag or digest for ${this.name}`, {
        hint: 'a tag is letters, digits, _ . - (at most 128, not starting with . or -); a digest is sha256:<64 hex>',
      });
    }
  }

  /** GETs a manifest and returns its bytes and digest, computed from the bytes. */
  private async getManifest(reference: string, push: boolean): Promise<{ bytes: Buffer; digest: Digest; mediaType: string | undefined }> {
    this.checkReference(reference);
    const what = this.describe(reference);
    const res = await this.client.request({
      method: 'GET',
      path: `/v2/${this.repository}/manifests/${reference}`,
      headers: { accept: MANIFEST_ACCEPT },
      scopes: [repositoryScope(this.repository, push)],
      ok: [200],
      what,
      repository: this.repository,
    });
    const length = Number(responseHeader(res, 'content-length') ?? '0');
    if (length > MANIFEST_SIZE_LIMIT) {
      res.body.destroy();
      throw new AirlockError('SIZE_LIMIT', `${what} on ${this.client.host} is ${length} bytes, over the ${MANIFEST_SIZE_LIMIT}-byte limit`, {
        hint: 'this is not a manifest airlock can handle; check the reference',
      });
    }
    const bytes = await readCapped(res.body, MANIFEST_SIZE_LIMIT, `${what} on ${this.client.host}`);
    const digest = sha256Digest(bytes);
    if (reference.startsWith('sha256:') && digest !== reference) {
      throw new AirlockError('DIGEST_MISMATCH', `${what} from ${this.client.host} hashes to ${shortDigest(digest)}…, not the digest asked for`, {
        hint: 'the registry (or something between) served other content than was asked for; do not use it',
      });
    }
    // The header is only a cross-check: the digest is always the one of the bytes held.
    const claimed = responseHeader(res, 'docker-content-digest');
    if (claimed !== undefined && claimed.startsWith('sha256:') && claimed !== digest) {
      throw new AirlockError('DIGEST_MISMATCH', `${what} from ${this.client.host} hashes to ${shortDigest(digest)}…, but the registry says ${shortDigest(claimed)}…`, {
        hint: 'the manifest changed on the way (a proxy rewriting content?); do not use it',
      });
    }
    return { bytes, digest, mediaType: mediaTypeOf(res) };
  }

  async resolve(reference: string): Promise<Descriptor> {
    const { bytes, digest, mediaType } = await this.getManifest(reference, false);
    const parsed = parseManifest(bytes, mediaType, `${this.name}${reference.startsWith('sha256:') ? '@' : ':'}${reference}`);
    this.client.manifests.put(this.repository, digest, bytes);
    return { mediaType: parsed.mediaType, digest, size: bytes.length };
  }

  /** Blobs can be read from a given byte on (Range requests). */
  readonly fetchesFrom = true;

  async fetch(desc: Descriptor, options: FetchOptions = {}): Promise<Readable> {
    if (isManifestType(desc.mediaType)) {
      const cached = this.client.manifests.get(this.repository, desc.digest);
      if (cached !== undefined) return Readable.from([cached], { objectMode: false });
      const res = await this.client.request({
        method: 'GET',
        path: `/v2/${this.repository}/manifests/${desc.digest}`,
        headers: { accept: MANIFEST_ACCEPT },
        scopes: [repositoryScope(this.repository, false)],
        ok: [200],
        what: this.describe(desc.digest),
        repository: this.repository,
      });
      return res.body;
    }
    const stream = await openBlob(this.client, this.repository, desc, options.offset ?? 0);
    this.client.noteBlob(desc.digest, this.repository);
    return stream;
  }

  async exists(desc: Descriptor): Promise<boolean> {
    const manifest = isManifestType(desc.mediaType);
    const res = await this.client.request({
      method: 'HEAD',
      path: `/v2/${this.repository}/${manifest ? 'manifests' : 'blobs'}/${desc.digest}`,
      ...(manifest ? { headers: { accept: MANIFEST_ACCEPT } } : {}),
      scopes: [repositoryScope(this.repository, true)],
      ok: [200, 404],
      what: manifest ? this.describe(desc.digest) : `blob ${shortDigest(desc.digest)}… in ${this.repository}`,
      repository: this.repository,
      redirects: true,
    });
    discard(res);
    const found = res.status === 200;
    if (found && !manifest) this.client.noteBlob(desc.digest, this.repository);
    return found;
  }

  /**
   * Stores content. Manifests are PUT by digest with their own media type and exact
   * bytes; blobs are uploaded (see upload.ts), and `opts.reopen` lets an upload cut off
   * by the network start over from a fresh stream.
   */
  async push(desc: Descriptor, content: Readable, opts: PushOptions = {}): Promise<void> {
    if (isManifestType(desc.mediaType)) {
      content.on('error', () => undefined); // reported by the read below; see UploadBody
      const bytes = await readCapped(content, MANIFEST_SIZE_LIMIT, `manifest ${shortDigest(desc.digest)}…`);
      // The stream is the verifier and has ended: these bytes are the descriptor's.
      await this.putManifest(desc, desc.digest, bytes);
      this.client.manifests.put(this.repository, desc.digest, bytes);
      return;
    }
    const session = this.sessions.get(desc.digest);
    this.sessions.delete(desc.digest);
    await uploadBlob(this.client, this.repository, desc, content, { ...opts, ...(session !== undefined && opts.session === undefined ? { session } : {}) });
    this.client.noteBlob(desc.digest, this.repository);
  }

  private async putManifest(desc: Descriptor, reference: string, bytes: Buffer): Promise<void> {
    const what = this.describe(reference);
    const res = await this.client.request({
      method: 'PUT',
      path: `/v2/${this.repository}/manifests/${reference}`,
      headers: { 'content-type': desc.mediaType },
      body: bytes,
      scopes: [repositoryScope(this.repository, true)],
      ok: [200, 201, 202, 204],
      what,
      repository: this.repository,
    });
    discard(res);
    const stored = responseHeader(res, 'docker-content-digest');
    if (stored !== undefined && stored.startsWith('sha256:') && stored !== desc.digest) {
      throw new AirlockError('DIGEST_MISMATCH', `${this.client.host} stored ${what} under ${shortDigest(stored)}…, not ${shortDigest(desc.digest)}…`, {
        hint: 'the registry rewrote the manifest; it does not preserve digests, so signatures and pinned references would break',
      });
    }
  }

  /** Points `tag` at a manifest already in the repository: PUT of the same bytes under the tag. */
  async tag(desc: Descriptor, tag: string): Promise<void> {
    if (!isValidTag(tag)) {
      throw new AirlockError('REF_INVALID', `"${tag}" is not a valid tag for ${this.name}`, {
        hint: 'a tag is letters, digits, _ . - (at most 128, not starting with . or -)',
      });
    }
    let bytes = this.client.manifests.get(this.repository, desc.digest);
    if (bytes === undefined) {
      bytes = (await this.getManifest(desc.digest, true)).bytes;
      this.client.manifests.put(this.repository, desc.digest, bytes);
    }
    await this.putManifest(desc, tag, bytes);
  }

  /**
   * Cross-repository mount: makes a blob present without sending it, from another
   * repository of this host known (this run) to hold it. False when the registry
   * declines; the upload session it opened instead (202) is kept for the push.
   */
  async mount(desc: Descriptor): Promise<boolean> {
    if (isManifestType(desc.mediaType)) return false;
    const what = `blob ${shortDigest(desc.digest)}… for ${this.repository}`;
    for (const from of this.client.blobSources(desc.digest, this.repository).slice(0, 3)) {
      let res: HttpResponse;
      try {
        res = await this.client.request({
          method: 'POST',
          path: `/v2/${this.repository}/blobs/uploads/?mount=${encodeURIComponent(desc.digest)}&from=${encodeURIComponent(from)}`,
          scopes: [repositoryScope(this.repository, true), repositoryScope(from, false)],
          ok: [201, 202],
          what: `mount of ${what} from ${from}`,
          repository: this.repository,
        });
      } catch (err) {
        // No rights on the other repository, or it went away: uploading still works.
        if (err instanceof AirlockError && ['UNAUTHORIZED', 'DENIED', 'NOT_FOUND'].includes(err.code)) continue;
        throw err;
      }
      discard(res);
      if (res.status === 201) {
        this.client.noteBlob(desc.digest, this.repository);
        this.client.emit({ kind: 'mount', host: this.client.host, what, detail: `from ${from}` });
        return true;
      }
      this.sessions.set(desc.digest, uploadLocation(res, undefined, what, this.client.host));
      return false;
    }
    return false;
  }

  /** Throws unless the login may push here (an upload session opened and cancelled: see probe.ts). */
  checkWrite(): Promise<void> {
    return checkPushAccess(this.client, this.repository);
  }

  /** Whether the registry serves the OCI referrers API (undefined: could not tell). */
  supportsReferrers(digest: string): Promise<boolean | undefined> {
    return referrersSupported(this.client, this.repository, digest);
  }

  /** Every tag of the repository, following `Link` pagination (`pageSize` asks for pages of that many). */
  async tags(opts: { pageSize?: number } = {}): Promise<string[]> {
    const out: string[] = [];
    let url: URL | undefined;
    for (let page = 0; page < 10_000; page++) {
      const res = await this.client.request({
        method: 'GET',
        ...(url === undefined ? { path: `/v2/${this.repository}/tags/list?n=${opts.pageSize ?? 1000}` } : { url }),
        scopes: [repositoryScope(this.repository, false)],
        ok: [200],
        what: `tag list of ${this.repository}`,
        repository: this.repository,
      });
      const body = await readCapped(res.body, MANIFEST_SIZE_LIMIT, `tag list of ${this.name}`);
      let doc: { tags?: unknown };
      try {
        doc = JSON.parse(body.toString('utf8')) as typeof doc;
      } catch {
        throw new AirlockError('REGISTRY_ERROR', `${this.client.host} answered the tag list of ${this.repository} with something that is not JSON`);
      }
      if (Array.isArray(doc.tags)) for (const t of doc.tags) if (typeof t === 'string') out.push(t);
      const next = nextLink(responseHeader(res, 'link'));
      if (next === undefined) return out;
      url = new URL(next, res.url);
      if (url.origin !== res.url.origin) {
        throw new AirlockError('REGISTRY_ERROR', `${this.client.host} points the tag list of ${this.repository} to another host (${url.host}); refused`);
      }
    }
    return out;
  }

  /**
   * Manifests that refer to `subject` (signatures, SBOMs, attestations): the OCI
   * referrers API, or the `sha256-<hex>` tag-schema index where the registry has no
   * such API (distribution 2.8, older Harbor, ECR before 2023).
   */
  async referrers(subject: string, artifactType?: string): Promise<Descriptor[]> {
    parseDigest(subject, `${this.name}@${subject}`);
    // The referrers API, every page, filtered; undefined where the registry does not serve it.
    const listed = await listReferrers(this.client, this.repository, subject, artifactType);
    if (listed !== undefined) return listed;
    let bytes: Buffer;
    {
      const tag = subject.replace(':', '-');
      const fallback = await this.client.request({
        method: 'GET',
        path: `/v2/${this.repository}/manifests/${tag}`,
        headers: { accept: `${MediaType.OciIndex}, ${MediaType.DockerManifestList}` },
        scopes: [repositoryScope(this.repository, false)],
        ok: [200, 404],
        what: `referrers tag ${this.repository}:${tag}`,
        repository: this.repository,
      });
      if (fallback.status === 404) {
        await readSome(fallback);
        return [];
      }
      bytes = await readCapped(fallback.body, MANIFEST_SIZE_LIMIT, `referrers tag ${this.name}:${tag}`);
    }
    let doc: unknown;
    try {
      doc = JSON.parse(bytes.toString('utf8'));
    } catch {
      throw new AirlockError('MANIFEST_INVALID', `the referrers index of ${this.name}@${subject} is not valid JSON`);
    }
    const parsed = IndexSchema.safeParse(doc);
    if (!parsed.success) throw new AirlockError('MANIFEST_INVALID', `the referrers index of ${this.name}@${subject} is not an OCI index`);
    const list = parsed.data.manifests;
    return artifactType === undefined ? list : list.filter((d) => d.artifactType === artifactType);
  }
}
