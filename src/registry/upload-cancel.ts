import { repositoryScope } from './auth.js';
import { discard, type RegistrySession } from './session.js';

/** The upload session an attempt holds open: set once started, cleared once committed. */
export interface OpenSession {
  location?: URL;
  /** Its state was saved for a later run: keep it unless the content was wrong. */
  saved?: boolean;
}

/**
 * Ends an upload that will not be resumed (a digest mismatch, a cut-off
 * attempt that starts over with a new session, an interrupt): DELETE on the
 * session, as the distribution API defines, so the registry drops the partial
 * data at once instead of keeping it in _uploads until a garbage collection
 * that many registries never run. Best effort and one attempt: the failure
 * being reported matters more, and a registry that refuses keeps what it keeps.
 */
export async function cancelUpload(client: RegistrySession, repository: string, open: OpenSession, what: string): Promise<void> {
  const location = open.location;
  if (location === undefined) return;
  open.location = undefined;
  try {
    const res = await client.request({
      method: 'DELETE',
      url: location,
      scopes: [repositoryScope(repository, true)],
      ok: 'any',
      what: `cancel the upload of ${what}`,
      repository,
      once: true,
    });
    discard(res);
  } catch {
    // Nothing more to do: the original failure is what the user needs to see.
  }
}
