import type { TestProject } from 'vitest/node';
import { ensureBuilt } from './build.js';
import { startRegistry, type RunningRegistry } from './registry.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** `127.0.0.1:PORT` of the plain (no auth, http) registry shared by the test files. */
    registry: string;
  }
}

let registry: RunningRegistry | undefined;

/** Starts one plain registry for the whole run; files that need auth or TLS start their own. */
export async function setup(project: TestProject): Promise<void> {
  const [, started] = await Promise.all([ensureBuilt(), startRegistry()]);
  registry = started;
  project.provide('registry', registry.host);
}

export async function teardown(): Promise<void> {
  await registry?.stop();
}
