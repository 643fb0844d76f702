import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
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

/** What the pack command line says, on top of an optional spec file. */
export interface SpecInputs {
  specFile?: string;
  images?: readonly string[];
  /** Image list files named on the command line (relative to the working folder). */
  imageLists?: readonly string[];
  charts?: readonly string[];
  /** One per chart, in the same order, when given at all. */
  chartVersions?: readonly string[];
  platforms?: readonly string[];
}

/**
 * The spec file plus the command line, as one validated spec. Image lists named in
 * the spec file are read relative to it; the ones on the command line, relative to
 * the working folder.
 */
export async function gatherSpec(inputs: SpecInputs): Promise<PackSpec> {
  const base = inputs.specFile !== undefined ? await loadSpec(inputs.specFile) : validateSpec({}, 'flags');
  const specDir = inputs.specFile !== undefined ? dirname(inputs.specFile) : '.';
  const images = [...base.images, ...(inputs.images ?? [])];
  const lists = [...base.imageLists.map((f) => resolve(specDir, f)), ...(inputs.imageLists ?? [])];
  for (const file of lists) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (cause) {
      throw new AirlockError('USAGE', `cannot read image list ${file}`, { cause, hint: 'check the --images path' });
    }
    for (const ref of parseImageList(text)) images.push(ref); // a loop: a spread of a long list overflows the stack
  }
  const charts = inputs.charts ?? [];
  const versions = inputs.chartVersions ?? [];
  if (versions.length > 0 && versions.length !== charts.length) {
    throw new AirlockError('USAGE', `${charts.length} --chart but ${versions.length} --chart-version`, {
      hint: 'give one --chart-version after each --chart (or write the version into an oci:// reference as :VERSION)',
    });
  }
  return validateSpec(
    {
      images,
      imageLists: [],
      charts: [...base.charts, ...charts.map((ref, i) => (versions[i] !== undefined ? { ref, version: versions[i] } : { ref }))],
      platforms: [...base.platforms, ...(inputs.platforms ?? [])],
    },
    inputs.specFile ?? 'flags',
  );
}
