import { AirlockError, isAirlockError, messageOf } from '../errors.js';
import { writeFileAtomic } from '../layout/atomic.js';
import { loadPublicKey, type PublicKey } from '../sign/index.js';

/** cac gives a string for one use of a repeatable option and an array for several. */
export function list(value: unknown): string[] {
  if (value === undefined || value === null || value === false) return [];
  return (Array.isArray(value) ? value : [value]).map(String);
}

export function loadPublicKeys(paths: unknown): Promise<PublicKey[]> {
  return Promise.all(list(paths).map((p) => loadPublicKey(p)));
}

export function positiveInt(value: unknown, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new AirlockError('USAGE', `${flag} takes a whole number >= 1, got ${String(value)}`);
  return n;
}

/**
 * cac gives every `--no-X` option a default of true and prints it: `--no-sign …
 * (default: true)` reads as "unsigned by default". Without that default the flag
 * is simply absent unless given (commands test `=== false`), and the help says
 * only what the option does.
 */
export function plainNegations<T extends { options: { negated: boolean; config: { default?: unknown } }[] }>(command: T): T {
  for (const o of command.options) if (o.negated) o.config.default = undefined;
  return command;
}

/** Bundles may be given as one path or as all split parts. */
export function bundleInput(args: readonly string[]): string | string[] {
  if (args.length === 0) throw new AirlockError('USAGE', 'no bundle given', { hint: 'give the bundle file, its first part (.000), or a folder' });
  return args.length === 1 ? args[0]! : [...args];
}

export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${n} B` : `${v.toFixed(1)} ${units[i]}`;
}

/** Writes a file the user named (a report, an overlay): temp file, then rename. */
export async function writeOutputFile(path: string, text: string): Promise<void> {
  try {
    await writeFileAtomic(path, text, 'output');
  } catch (cause) {
    if (isAirlockError(cause)) throw cause;
    throw new AirlockError('IO', `cannot write ${path}: ${messageOf(cause)}`, { cause, hint: 'check the folder exists and is writable' });
  }
}
