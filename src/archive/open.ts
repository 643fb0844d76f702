import { stat } from 'node:fs/promises';
import { AirlockError, messageOf } from '../errors.js';
import { sniff } from './detect.js';
import { FolderReader } from './folder-reader.js';
import { GzipReader } from './gzip-reader.js';
import { findParts, orderParts, partName, partSuffix } from './parts.js';
import { openFileSource, openPartsSource, sizeOf, type ByteSource } from './source.js';
import { TarReader } from './tar-reader.js';
import type { BundleReader } from './types.js';
import { ZipReader } from './zip-reader.js';

const COMPRESSORS: Record<string, string> = { xz: 'xz -d', zstd: 'zstd -d', bzip2: 'bunzip2' };

/**
 * Opens a bundle in whatever form it arrived: a folder, a tar, a gzip-compressed
 * tar, a zip, or split parts (`bundle.tar.000` given alone finds its siblings; all
 * parts may also be given). The form is found by content, not by name.
 */
export async function openBundle(input: string | readonly string[]): Promise<BundleReader> {
  const inputs = typeof input === 'string' ? [input] : [...input];
  if (inputs.length === 0) throw new AirlockError('USAGE', 'no bundle given', { hint: 'give a bundle file, its split parts, or a folder' });
  let source: ByteSource;
  if (inputs.length > 1) {
    source = await openPartsSource(orderParts(inputs));
  } else {
    const path = inputs[0]!;
    let isDir = false;
    try {
      isDir = (await stat(path)).isDirectory();
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      // `bundle.tar` written with --split-size exists only as bundle.tar.000, .001, …
      if (code === 'ENOENT' && (await sizeOf(partName(path, 0))) !== undefined) return openBundle(partName(path, 0));
      throw new AirlockError('IO', code === 'ENOENT' ? `${path} does not exist` : `cannot open ${path}: ${messageOf(err)}`, {
        cause: err,
        hint: 'check the path',
      });
    }
    if (isDir) return new FolderReader(path);
    const suffix = partSuffix(path);
    if (suffix && suffix.index === 0) {
      source = await openPartsSource(await findParts(path));
    } else {
      if (suffix && (await sizeOf(partName(suffix.base, 0, suffix.width))) !== undefined) {
        throw new AirlockError('USAGE', `${path} is one part of a split bundle`, { hint: `give the first part, ${partName(suffix.base, 0, suffix.width)}, or all the parts` });
      }
      source = await openFileSource(path);
    }
  }
  try {
    return await readerFor(source);
  } catch (err) {
    await source.close();
    throw err;
  }
}

async function readerFor(source: ByteSource): Promise<BundleReader> {
  const head = await source.read(0, 512);
  const form = sniff(head, source.size);
  if (typeof form === 'object') {
    throw new AirlockError('ARCHIVE_INVALID', `${source.name} parses both as a tar (a valid tar header at byte 0) and as a ${form.both}`, {
      hint: `GNU tar would extract it as a tar, airlock would read it as a ${form.both}: a crafted polyglot; get the bundle again from a trusted source`,
    });
  }
  switch (form) {
    case 'tar':
      return new TarReader(source);
    case 'gzip':
      return new GzipReader(source);
    case 'zip':
      return ZipReader.open(source);
    case 'xz':
    case 'zstd':
    case 'bzip2':
      throw new AirlockError('ARCHIVE_INVALID', `${source.name} is ${form}-compressed, which airlock does not read`, {
        hint: `decompress it first (${COMPRESSORS[form]}) and give the resulting tar`,
      });
    default:
      throw new AirlockError('ARCHIVE_INVALID', `${source.name} is not a tar, gzip or zip archive`, {
        hint: source.size === 0 ? 'the file is empty; copy it again' : 'give the bundle file airlock pack wrote, its split parts, or an extracted folder',
      });
  }
}
