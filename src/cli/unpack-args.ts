import { stat } from 'node:fs/promises';
import { AirlockError } from '../errors.js';

/**
 * `unpack BUNDLE DIR` as tar and skopeo users type it, or `unpack BUNDLE -o DIR`.
 * Split parts are several arguments too, so the last one is the folder only when
 * it is not an existing file: a part always exists, the folder usually does not.
 */
export async function unpackTarget(args: readonly string[], out: string | undefined): Promise<{ bundle: string[]; dir: string }> {
  if (out !== undefined) return { bundle: [...args], dir: out };
  const last = args.at(-1);
  const isFile = last === undefined ? true : await stat(last).then((s) => s.isFile(), () => false);
  if (args.length < 2 || isFile) {
    throw new AirlockError('USAGE', 'unpack needs a folder: unpack BUNDLE DIR, or -o DIR', { hint: 'e.g. airlock unpack bundle.tar ./layout --key vendor.pub' });
  }
  return { bundle: args.slice(0, -1), dir: last! };
}
