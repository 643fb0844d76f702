/**
 * PAX extended header records, parsed as POSIX (and GNU tar) define them:
 * `LENGTH SP KEYWORD=VALUE LF`, where LENGTH counts the whole record. Records are
 * length-prefixed, not lines: a value may hold a newline, and a parser that splits
 * on newlines (node-tar's Pax does) reads another name than GNU tar extracts. So
 * airlock parses the records itself, and refuses what it does not fully understand.
 */

export interface PaxRecords {
  path?: string;
  linkpath?: string;
  size?: number;
}

/** Keywords that change nothing about which bytes land under which name. */
const HARMLESS = new Set([
  'atime',
  'ctime',
  'mtime',
  'uid',
  'gid',
  'uname',
  'gname',
  'comment',
  'SCHILY.dev',
  'SCHILY.ino',
  'SCHILY.nlink',
  'SCHILY.fflags',
  'LIBARCHIVE.creationtime',
  'RHT.security.selinux',
]);
const HARMLESS_PREFIXES = ['SCHILY.xattr.', 'LIBARCHIVE.xattr.'];

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Parses one PAX body; returns the records airlock uses, or why the body is refused. */
export function parsePax(body: Buffer): PaxRecords | string {
  const out: PaxRecords = {};
  const seen = new Set<string>();
  let pos = 0;
  while (pos < body.length) {
    let digits = pos;
    while (digits < body.length && body[digits]! >= 0x30 && body[digits]! <= 0x39 && digits - pos < 12) digits++;
    if (digits === pos || body[digits] !== 0x20) return `malformed PAX record at byte ${pos} of the extended header (no length)`;
    const length = Number(body.subarray(pos, digits).toString('latin1'));
    const end = pos + length;
    if (length <= digits - pos + 1 || end > body.length) return `PAX record at byte ${pos} claims ${length} bytes, which do not fit`;
    if (body[end - 1] !== 0x0a) return `PAX record at byte ${pos} does not end with a newline where its length says`;
    const record = body.subarray(digits + 1, end - 1);
    const eq = record.indexOf(0x3d);
    if (eq <= 0) return `PAX record at byte ${pos} has no keyword`;
    let keyword: string;
    let value: string;
    try {
      keyword = utf8.decode(record.subarray(0, eq));
      value = utf8.decode(record.subarray(eq + 1));
    } catch {
      return `PAX record at byte ${pos} is not valid UTF-8`;
    }
    const shown = JSON.stringify(keyword);
    // POSIX allows a newline in a value; no bundle has one, and tools that split
    // records on lines (node-tar) would read another record out of it.
    if (value.includes('\n') || keyword.includes('\n')) return `PAX record ${shown} at byte ${pos} holds a newline in its value`;
    if (seen.has(keyword)) return `PAX keyword ${shown} appears twice in one extended header`;
    seen.add(keyword);
    if (keyword === 'path' || keyword === 'linkpath') {
      // An empty value would mean "fall back to the ustar field": one more way to name a file.
      if (value === '') return `PAX ${keyword} is empty`;
      out[keyword] = value;
    } else if (keyword === 'size') {
      if (!/^[0-9]{1,16}$/.test(value) || !Number.isSafeInteger(Number(value))) return `PAX size ${JSON.stringify(value)} is not a decimal byte count`;
      out.size = Number(value);
    } else if (keyword.startsWith('GNU.sparse.')) {
      return `PAX keyword ${shown} (a GNU sparse file, extracted under another name and with other content than it reads)`;
    } else if (!HARMLESS.has(keyword) && !HARMLESS_PREFIXES.some((p) => keyword.startsWith(p))) {
      return `unknown PAX keyword ${shown}`;
    }
    pos = end;
  }
  return out;
}
