import type { RegistryOptions } from '../registry/index.js';
import { VERSION } from '../version.js';
import { list } from './options.js';

export interface RegistryFlags {
  insecureRegistry?: unknown;
  caFile?: string;
}

/** The transport options every registry-facing command takes. */
export function withRegistryOptions<T extends { option: (raw: string, description: string) => T }>(command: T): T {
  return command
    .option('--insecure-registry <host>', 'Speak plain http, or https without verification, to HOST[:PORT] (repeatable); loopback hosts never need it')
    .option('--ca-file <pem>', 'Extra CA certificates (PEM) to trust for registries and chart repositories');
}

export function registryOptions(flags: RegistryFlags): RegistryOptions {
  const options: RegistryOptions = {
    insecureRegistries: list(flags.insecureRegistry).flatMap((v) => v.split(',')).map((v) => v.trim()).filter((v) => v !== ''),
    userAgent: `airlock/${VERSION}`,
  };
  if (flags.caFile !== undefined) options.caFile = flags.caFile;
  return options;
}
