import { AirlockError } from '../errors.js';
import { MediaType } from '../oci/media-types.js';
import { repositoryScope } from './auth.js';
import { discard, readSome, type RegistrySession } from './session.js';
import { responseHeader } from './transport.js';
import { startUpload } from './upload.js';

/**
 * Whether the login may push to `repository`, without sending a byte of content:
 * opens an upload session (which needs `push` scope, and the repository's project
 * or namespace to exist) and cancels it at once with DELETE. Throws the registry's
 * answer (DENIED, UNAUTHORIZED, NOT_FOUND) as an AirlockError naming the repository.
 */
export async function checkPushAccess(client: RegistrySession, repository: string): Promise<void> {
  const location = await startUpload(client, repository, `write check of ${repository}`);
  // A registry that cannot cancel (405, 404) just lets the session expire: nothing was written.
  const res = await client.request({
    method: 'DELETE',
    url: location,
    scopes: [repositoryScope(repository, true)],
    ok: 'any',
    what: `cancel of the write check upload for ${repository}`,
    repository,
  });
  discard(res);
}

/**
 * Whether the registry serves the OCI referrers API: GET /v2/NAME/referrers/DIGEST
 * answering 200 with an OCI index. Distribution 2.8 answers 404; a registry that
 * refuses the read says nothing either way (undefined).
 */
export async function referrersSupported(client: RegistrySession, repository: string, digest: string): Promise<boolean | undefined> {
  try {
    const res = await client.request({
      method: 'GET',
      path: `/v2/${repository}/referrers/${digest}`,
      headers: { accept: MediaType.OciIndex },
      scopes: [repositoryScope(repository, false)],
      ok: 'any',
      what: `referrers of ${repository}@${digest}`,
      repository,
    });
    await readSome(res, 64 * 1024);
    const type = responseHeader(res, 'content-type')?.split(';')[0]?.trim();
    return res.status === 200 && type === MediaType.OciIndex;
  } catch (err) {
    if (err instanceof AirlockError && ['UNAUTHORIZED', 'DENIED'].includes(err.code)) return undefined;
    throw err;
  }
}
