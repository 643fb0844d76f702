import { parseTargetRegistry, type MappingMode, type TargetRegistry } from '../bundle/mapping.js';
import { AirlockError } from '../errors.js';

export interface MappingFlags {
  registry?: string;
  flatten?: boolean;
  keepSourceHost?: boolean;
}

/** How source paths become target paths: the same two flags for push, values and serve. */
export function withMappingModeOptions<T extends { option: (raw: string, description: string) => T }>(command: T): T {
  return command
    .option('--flatten', 'Use only the last path element (registries that cannot nest)')
    .option('--keep-source-host', 'Keep the source host as a path element: HOST/PREFIX/SRC_HOST/PATH');
}

/** Where push puts images, and where values points them: the same three flags for both. */
export function withMappingOptions<T extends { option: (raw: string, description: string) => T }>(command: T): T {
  return withMappingModeOptions(command.option('--registry <host/prefix>', 'Target: HOST[:PORT][/PREFIX]; SRC_HOST/PATH:TAG goes to HOST/PREFIX/PATH:TAG'));
}

export function mappingMode(flags: MappingFlags): MappingMode {
  if (flags.flatten && flags.keepSourceHost) throw new AirlockError('USAGE', '--flatten and --keep-source-host contradict each other');
  return flags.flatten ? 'flatten' : flags.keepSourceHost ? 'keep-source-host' : 'nested';
}

/** The target registry and mapping mode the flags give; --registry is required. */
export function mappingFromFlags(flags: MappingFlags, command: string): { registry: TargetRegistry; mapping: MappingMode } {
  if (flags.registry === undefined) throw new AirlockError('USAGE', `${command} needs --registry HOST[/PREFIX]${command === 'values' ? ' (the same as for push)' : ''}`);
  return { registry: parseTargetRegistry(flags.registry), mapping: mappingMode(flags) };
}
