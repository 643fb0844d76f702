import { mkdir, readFile, writeFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { BundleManifestSchema } from './bundle/manifest.js';
import { PackSpecSchema } from './bundle/spec.js';
import { PushPlanSchema } from './bundle/plan.js';
import { ReceiptSchema } from './bundle/receipt.js';
import { PUBLISHED_SCHEMAS as OCI_SCHEMAS } from './oci/schemas.js';

/** Every zod schema published as a JSON Schema file under schemas/, by file stem. */
export const PUBLISHED: Record<string, z.ZodType> = {
  ...OCI_SCHEMAS,
  'bundle-manifest': BundleManifestSchema,
  'pack-spec': PackSpecSchema,
  'push-plan': PushPlanSchema,
  receipt: ReceiptSchema,
};

/** The JSON Schema documents, rendered deterministically (key order follows the zod source). */
export function renderSchemas(): Map<string, string> {
  const out = new Map<string, string>();
  for (const [name, schema] of Object.entries(PUBLISHED).sort(([a], [b]) => a.localeCompare(b))) {
    const doc = { $id: `${name}.schema.json`, ...z.toJSONSchema(schema, { io: 'input' }) };
    out.set(`${name}.schema.json`, `${JSON.stringify(doc, null, 2)}\n`);
  }
  return out;
}

/** Writes schemas/ (atomically, file by file). Returns the files written. */
export async function writeSchemas(dir: string): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const written: string[] = [];
  for (const [file, text] of renderSchemas()) {
    const target = join(dir, file);
    if ((await readFile(target, 'utf8').catch(() => undefined)) === text) continue;
    await writeFile(`${target}.tmp`, text);
    await rename(`${target}.tmp`, target);
    written.push(file);
  }
  return written;
}
