import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { AirlockError } from '../errors.js';

/** airlock.yaml: what to pack. Flags add to it. */
export const PackSpecSchema = z
  .object({
    images: z.array(z.string().min(1)).default([]),
    /** Files with one reference a line (the vendor portal's list, pasted), relative to the spec file. */
    imageLists: z.array(z.string().min(1)).default([]),
    charts: z
      .array(
        z.strictObject({
          ref: z.string().min(1),
          version: z.string().min(1).optional(),
        }),
      )
      .default([]),
    platforms: z.array(z.string().regex(/^[^/\s]+\/[^/\s]+(\/[^/\s]+)?$/, 'write OS/ARCH or OS/ARCH/VARIANT')).default([]),
  })
  .strict();

export type PackSpec = z.infer<typeof PackSpecSchema>;

/** Validates a parsed spec, reporting every problem at once with its path. */
export function validateSpec(doc: unknown, file: string): PackSpec {
  const parsed = PackSpecSchema.safeParse(doc ?? {});
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((i) => `  ${i.path.map(String).join('.') || '(top level)'}: ${i.message}`);
  throw new AirlockError('SPEC_INVALID', `${file} has ${problems.length} problem(s):\n${problems.join('\n')}`, {
    hint: 'fix the listed fields; the JSON Schema is schemas/pack-spec.schema.json',
  });
}

export async function loadSpec(file: string): Promise<PackSpec> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (cause) {
    throw new AirlockError('USAGE', `cannot read spec file ${file}`, { cause, hint: 'check the --spec path' });
  }
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (cause) {
    throw new AirlockError('SPEC_INVALID', `${file} is not valid YAML: ${(cause as Error).message}`, { cause });
  }
  return validateSpec(doc, file);
}

/** Parses an image list: one reference a line, `#` comments, blank lines ignored. */
export function parseImageList(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((line) => line.replace(/#.*$/, '').trim())
    .filter((line) => line !== '');
}
