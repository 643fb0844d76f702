import { readdir, readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { renderSchemas } from '../src/schemas.js';

describe('schemas/', () => {
  it('holds exactly the JSON Schemas generated from the zod schemas (run `npm run schemas` after changing one)', async () => {
    const rendered = renderSchemas();
    const files = (await readdir(new URL('../schemas/', import.meta.url))).filter((f) => f.endsWith('.json')).sort();
    expect(files).toEqual([...rendered.keys()].sort());
    for (const [file, text] of rendered) {
      expect(await readFile(new URL(`../schemas/${file}`, import.meta.url), 'utf8'), `schemas/${file} drifted`).toBe(text);
    }
  });
});
