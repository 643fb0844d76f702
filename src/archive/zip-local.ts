import type yauzl from 'yauzl';
import { AirlockError } from '../errors.js';
import { quoteName } from './safe-path.js';
import type { ByteSource } from './source.js';

const LOCAL_SIGNATURE = 0x04034b50;
const LOCAL_FIXED = 30;
const DATA_DESCRIPTOR_FLAG = 0x8;
const ZIP64_MARK = 0xffffffff;

function refuse(archive: string, path: string, why: string): AirlockError {
  return new AirlockError('ARCHIVE_INVALID', `${archive}: entry ${quoteName(path)} ${why}`, {
    hint: 'a zip whose local headers disagree with its central directory reads differently in different tools; unzip it and give the folder, or get the bundle again',
  });
}

/**
 * airlock (through yauzl) reads a zip by its central directory; streaming tools
 * (and some extractors) read the local header in front of each entry's data. The
 * two must say the same: the same name, method and sizes, and entries' data
 * must not overlap (overlapping entries are the classic zip bomb, and a way to
 * give two names to one content). One small read per entry.
 */
export async function checkLocalHeaders(source: ByteSource, archive: string, entries: readonly { path: string; zip: yauzl.Entry }[]): Promise<void> {
  const spans: { path: string; start: number; end: number }[] = [];
  for (const { path, zip } of entries) {
    const at = zip.relativeOffsetOfLocalHeader;
    const fixed = await source.read(at, LOCAL_FIXED);
    if (fixed.length < LOCAL_FIXED || fixed.readUInt32LE(0) !== LOCAL_SIGNATURE) throw refuse(archive, path, `has no local header at byte ${at}`);
    const flags = fixed.readUInt16LE(6);
    const method = fixed.readUInt16LE(8);
    const nameLength = fixed.readUInt16LE(26);
    const extraLength = fixed.readUInt16LE(28);
    const name = await source.read(at + LOCAL_FIXED, nameLength);
    if (!name.equals(zip.fileNameRaw as unknown as Buffer)) throw refuse(archive, path, `is named ${quoteName(name.toString('utf8'))} in its local header at byte ${at}`);
    if (method !== zip.compressionMethod) throw refuse(archive, path, `uses compression method ${method} in its local header, ${zip.compressionMethod} in the central directory`);
    if ((flags & DATA_DESCRIPTOR_FLAG) === 0) {
      const compressed = fixed.readUInt32LE(18);
      const size = fixed.readUInt32LE(22);
      const same = (local: number, central: number): boolean => local === central || local === ZIP64_MARK;
      if (!same(compressed, zip.compressedSize) || !same(size, zip.uncompressedSize)) {
        throw refuse(archive, path, `declares ${size} bytes (${compressed} compressed) in its local header, ${zip.uncompressedSize} (${zip.compressedSize}) in the central directory`);
      }
    }
    const start = at;
    spans.push({ path, start, end: at + LOCAL_FIXED + nameLength + extraLength + zip.compressedSize });
  }
  spans.sort((a, b) => a.start - b.start);
  for (let i = 1; i < spans.length; i++) {
    const before = spans[i - 1]!;
    const span = spans[i]!;
    if (span.start < before.end) throw refuse(archive, span.path, `starts at byte ${span.start}, inside the data of entry ${quoteName(before.path)} (bytes ${before.start}–${before.end})`);
  }
}
