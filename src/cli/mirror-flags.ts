import { parseMirrorFlag, readRegistriesConf, type MirrorRule } from '../registry/index.js';
import { list } from './options.js';

export interface MirrorFlags {
  mirror?: unknown;
  /** cac sets this false for --no-registries-conf. */
  registriesConf?: boolean;
}

export function withMirrorOptions<T extends { option: (raw: string, description: string) => T }>(command: T): T {
  return command
    .option('--mirror <src=mirror>', 'Pull SOURCE_HOST images through MIRROR_HOST[/PREFIX] (repeatable); the bundle keeps the source names')
    .option('--no-registries-conf', 'Ignore the mirrors of registries.conf (read as skopeo does unless this is given)');
}

/** --mirror rules first (they win for their prefix), then registries.conf's. */
export async function mirrorRulesFromFlags(flags: MirrorFlags): Promise<MirrorRule[]> {
  const given = list(flags.mirror).map(parseMirrorFlag);
  return flags.registriesConf === false ? given : [...given, ...(await readRegistriesConf())];
}
