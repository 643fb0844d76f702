import { MANIFEST_SIZE_LIMIT, readCapped } from '../content/verify.js';
import { AirlockError } from '../errors.js';
import { MediaType } from '../oci/media-types.js';
import { IndexSchema, type Descriptor } from '../oci/schemas.js';
import { repositoryScope } from './auth.js';
import { nextLink } from './link.js';
import { discard, type RegistrySession } from './session.js';
import { responseHeader } from './transport.js';

/** Pages followed at most: a referrers list longer than this is a registry gone wrong. */
const MAX_PAGES = 1000;

/**
 * The OCI referrers API, `GET /v2/NAME/referrers/DIGEST[?artifactType=T]`, every
 * page (`Link: <…>; rel="next"`, same origin only). The filter is applied here
 * too unless the registry says it applied it (`OCI-Filters-Applied: artifactType`),
 * as the distribution spec allows registries to ignore it. Undefined when the
 * registry does not serve the API (404, or an answer that is not an OCI index):
 * the caller then reads the referrers tag schema's fallback index.
 */
export async function listReferrers(client: RegistrySession, repository: string, subject: string, artifactType?: string): Promise<Descriptor[] | undefined> {
  const out: Descriptor[] = [];
  let url: URL | undefined;
  let filtered = true;
  for (let page = 0; page < MAX_PAGES; page++) {
    const query = artifactType !== undefined ? `?artifactType=${encodeURIComponent(artifactType)}` : '';
    const res = await client.request({
      method: 'GET',
      ...(url === undefined ? { path: `/v2/${repository}/referrers/${subject}${query}` } : { url }),
      headers: { accept: MediaType.OciIndex },
      scopes: [repositoryScope(repository, false)],
      ok: [200, 404],
      what: `referrers of ${repository}@${subject}`,
      repository,
    });
    const type = responseHeader(res, 'content-type')?.split(';')[0]?.trim();
    if (res.status !== 200 || type !== MediaType.OciIndex) {
      discard(res);
      if (page === 0) return undefined;
      throw new AirlockError('REGISTRY_ERROR', `${client.host} broke off the referrers of ${repository}@${subject} on page ${page + 1}`);
    }
    const bytes = await readCapped(res.body, MANIFEST_SIZE_LIMIT, `referrers of ${repository}@${subject}`);
    let doc: unknown;
    try {
      doc = JSON.parse(bytes.toString('utf8'));
    } catch {
      throw new AirlockError('MANIFEST_INVALID', `the referrers of ${repository}@${subject} on ${client.host} are not valid JSON`);
    }
    const parsed = IndexSchema.safeParse(doc);
    if (!parsed.success) throw new AirlockError('MANIFEST_INVALID', `the referrers of ${repository}@${subject} on ${client.host} are not an OCI index`);
    out.push(...parsed.data.manifests);
    if (artifactType !== undefined && !(responseHeader(res, 'oci-filters-applied') ?? '').split(',').map((s) => s.trim()).includes('artifactType')) filtered = false;
    const next = nextLink(responseHeader(res, 'link'));
    if (next === undefined) break;
    url = new URL(next, res.url);
    if (url.origin !== res.url.origin) {
      throw new AirlockError('REGISTRY_ERROR', `${client.host} points the referrers of ${repository}@${subject} to another host (${url.host}); refused`);
    }
  }
  return artifactType === undefined || filtered ? out : out.filter((d) => d.artifactType === artifactType);
}
