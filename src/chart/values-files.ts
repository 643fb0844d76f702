import { readFile } from 'node:fs/promises';
import { AirlockError, messageOf } from '../errors.js';
import { parseValuesYaml, type Values } from './values-tree.js';

export interface ValuesFile {
  file: string;
  values: Values;
}

/** The user's `--values FILE`s, read and parsed in order (later wins, as with helm). */
export async function readValuesFiles(paths: readonly string[]): Promise<ValuesFile[]> {
  const out: ValuesFile[] = [];
  for (const file of paths) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (cause) {
      throw new AirlockError('USAGE', `cannot read values file ${file}: ${messageOf(cause)}`, { cause, hint: 'check the --values path' });
    }
    try {
      out.push({ file, values: parseValuesYaml(text, file) });
    } catch (err) {
      // The user's own file: a usage problem, not a damaged archive.
      if (err instanceof AirlockError) throw new AirlockError('USAGE', err.message, { hint: 'fix the values file', cause: err });
      throw err;
    }
  }
  return out;
}
