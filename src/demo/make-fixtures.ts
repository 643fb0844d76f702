/** `npm run fixtures`: rewrites fixtures/ from src/demo/fixtures.ts. */
import { fileURLToPath } from 'node:url';
import { writeFixtures } from './fixtures.js';

await writeFixtures(fileURLToPath(new URL('../../fixtures/', import.meta.url)));
