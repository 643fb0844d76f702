import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';

/**
 * Where an interrupted chunked upload stands, so the next run continues it:
 * the session's latest `Location` and the bytes the registry confirmed. Keyed by registry host, repository and digest.
 */
export interface UploadState {
  host: string;
  repository: string;
  digest: string;
  /** The session's latest `Location` (distribution keeps the offset in its signed `_state`). */
  location: string;
  /** Bytes the registry confirmed, per the last PATCH answered. */
  offset: number;
  /** ISO time of the last write, for people reading the folder. */
  updated: string;
}

/** Where upload states are kept; the registry code uses nothing else of the file system. */
export interface UploadStateStore {
  get(host: string, repository: string, digest: string): Promise<UploadState | undefined>;
  put(state: UploadState): Promise<void>;
  delete(host: string, repository: string, digest: string): Promise<void>;
}

/** `$XDG_STATE_HOME/airlock`, or `~/.local/state/airlock` as the XDG spec defaults it. */
export function defaultStateDir(env: NodeJS.ProcessEnv = process.env, home: string = homedir()): string {
  const xdg = env.XDG_STATE_HOME;
  // The spec says a relative value is invalid and to be ignored.
  return xdg !== undefined && xdg.startsWith('/') ? join(xdg, 'airlock') : join(home, '.local', 'state', 'airlock');
}

function fileName(host: string, repository: string, digest: string): string {
  return `${createHash('sha256').update(`${host}/${repository}@${digest}`).digest('hex').slice(0, 32)}.json`;
}

/** One small JSON file per upload under `DIR/uploads/`, replaced atomically (temp file, then rename). */
export class UploadStateFiles implements UploadStateStore {
  private readonly dir: string;

  constructor(stateDir: string) {
    this.dir = join(stateDir, 'uploads');
  }

  async get(host: string, repository: string, digest: string): Promise<UploadState | undefined> {
    let text: string;
    try {
      text = await readFile(join(this.dir, fileName(host, repository, digest)), 'utf8');
    } catch {
      return undefined;
    }
    try {
      const s = JSON.parse(text) as Partial<UploadState>;
      // A file that does not name exactly this upload (edited, or a hash clash) is ignored.
      if (s.host !== host || s.repository !== repository || s.digest !== digest) return undefined;
      if (typeof s.location !== 'string' || typeof s.offset !== 'number' || !Number.isSafeInteger(s.offset) || s.offset < 0) return undefined;
      return s as UploadState;
    } catch {
      return undefined;
    }
  }

  async put(state: UploadState): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const path = join(this.dir, fileName(state.host, state.repository, state.digest));
    const temp = `${path}.${randomBytes(4).toString('hex')}.tmp`;
    // 0600: an upload URL lets whoever holds it (with push rights) add to the session.
    await writeFile(temp, `${JSON.stringify(state)}\n`, { mode: 0o600 });
    await rename(temp, path);
  }

  async delete(host: string, repository: string, digest: string): Promise<void> {
    await rm(join(this.dir, fileName(host, repository, digest)), { force: true });
  }
}
