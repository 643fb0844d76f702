import { readdir } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { AirlockError, messageOf } from '../errors.js';

/** `bundle.tar.000` → { base: 'bundle.tar', index: 0, width: 3 }. */
export function partSuffix(path: string): { base: string; index: number; width: number } | undefined {
  const m = /^(.*)\.(\d{3,})$/.exec(path);
  if (!m) return undefined;
  return { base: m[1]!, index: Number(m[2]), width: m[2]!.length };
}

export function partName(base: string, index: number, width = 3): string {
  return `${base}.${String(index).padStart(width, '0')}`;
}

/**
 * Finds the parts of a split bundle from its first part: `bundle.tar.000` → every
 * `bundle.tar.NNN` sibling. The sequence must start at 000 and have no gap: a gap
 * is named ("bundle.tar.002 is missing") rather than read past.
 */
export async function findParts(first: string): Promise<string[]> {
  const parsed = partSuffix(first);
  if (!parsed || parsed.index !== 0) {
    throw new AirlockError('USAGE', `${first} is not the first part of a split bundle`, { hint: 'give the part ending in .000' });
  }
  const dir = dirname(first);
  const prefix = `${basename(parsed.base)}.`;
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    throw new AirlockError('IO', `cannot list ${dir}: ${messageOf(err)}`, { cause: err, hint: 'check that the folder is readable' });
  }
  const indexes = new Set<number>();
  for (const name of names) {
    if (!name.startsWith(prefix)) continue;
    const rest = name.slice(prefix.length);
    if (/^\d{3,}$/.test(rest) && (rest.length === 3 || !rest.startsWith('0'))) indexes.add(Number(rest));
  }
  return sequence(
    [...indexes].map((i) => ({ index: i, path: join(dir, partName(basename(parsed.base), i, parsed.width)) })),
    parsed.base,
    parsed.width,
  );
}

/**
 * Orders parts given one by one (`bundle.tar.*` from a shell glob, or in any order)
 * and checks the sequence is whole.
 */
export function orderParts(paths: readonly string[]): string[] {
  const parsed = paths.map((path) => ({ path, suffix: partSuffix(path) }));
  const bad = parsed.find((p) => !p.suffix);
  if (bad) {
    throw new AirlockError('USAGE', `${bad.path} does not look like a split part (name.000, name.001, …)`, {
      hint: 'give one bundle file, a folder, or all the numbered parts of one split bundle',
    });
  }
  const base = parsed[0]!.suffix!.base;
  const other = parsed.find((p) => p.suffix!.base !== base);
  if (other) {
    throw new AirlockError('USAGE', `${other.path} is not a part of ${base}`, { hint: 'give the parts of one split bundle only' });
  }
  const seen = new Set<number>();
  for (const p of parsed) {
    if (seen.has(p.suffix!.index)) throw new AirlockError('USAGE', `${p.path} is given twice`, { hint: 'give each part once' });
    seen.add(p.suffix!.index);
  }
  return sequence(
    parsed.map((p) => ({ index: p.suffix!.index, path: p.path })),
    base,
    parsed[0]!.suffix!.width,
  );
}

function sequence(found: { index: number; path: string }[], base: string, width: number): string[] {
  found.sort((a, b) => a.index - b.index);
  for (let i = 0; i < found.length; i++) {
    if (found[i]!.index !== i) {
      throw new AirlockError('ARCHIVE_INVALID', `${basename(partName(base, i, width))} is missing`, {
        hint: `the split bundle has parts up to ${basename(found[found.length - 1]!.path)}; copy the missing part next to the others`,
      });
    }
  }
  return found.map((f) => f.path);
}
