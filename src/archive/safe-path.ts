import { AirlockError } from '../errors.js';

/** Quotes a name from an archive for a message: control characters and quotes escaped. */
export function quoteName(raw: string): string {
  return JSON.stringify(raw);
}

const UNSAFE_HINT =
  'the archive holds a name that could write outside its folder; do not extract it by hand, get the bundle again from a trusted source';

/**
 * Turns a name from an archive into a clean relative '/'-separated path, or throws
 * PATH_UNSAFE naming the entry. Leading './', empty and '.' components are dropped
 * (tars made with `tar -C dir -cf x .` carry them); '' is the archive root itself.
 * A backslash is refused rather than translated: on Windows it is a separator, so
 * `a\..\..\x` would mean something else there than here.
 */
export function normalizeEntryPath(raw: string, where: string): string {
  const refuse = (why: string): AirlockError =>
    new AirlockError('PATH_UNSAFE', `${where}: entry ${quoteName(raw)} ${why}`, { hint: UNSAFE_HINT });
  if (raw.includes('\0')) throw refuse('contains a NUL byte');
  // eslint-disable-next-line no-control-regex
  if (/[\u0001-\u001f\u007f]/.test(raw)) throw refuse('contains control characters');
  if (raw.includes('\\')) throw refuse('contains a backslash');
  if (raw.startsWith('/')) throw refuse('is an absolute path');
  if (/^[A-Za-z]:/.test(raw)) throw refuse('starts with a drive letter');
  const parts = raw.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) throw refuse('has a ".." component');
  return parts.join('/');
}

/** Whether `path` is already in the form normalizeEntryPath returns, and not the root. */
export function isCleanEntryPath(path: string): boolean {
  try {
    return path !== '' && normalizeEntryPath(path, 'check') === path;
  } catch {
    return false;
  }
}

/** "a symbolic link", "a special file (device or FIFO)": for messages about non-file entries. */
export function describeType(type: 'file' | 'directory' | 'symlink' | 'hardlink' | 'other'): string {
  switch (type) {
    case 'file':
      return 'a file';
    case 'directory':
      return 'a directory';
    case 'symlink':
      return 'a symbolic link';
    case 'hardlink':
      return 'a hard link';
    default:
      return 'a special file (device or FIFO)';
  }
}
