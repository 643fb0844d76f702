import { parseTargetRegistry, type MappingMode, type TargetRegistry } from '../bundle/mapping.js';
import type { PushPlan } from '../bundle/plan.js';
import { PROFILE_NAMES } from '../bundle/profiles.js';
import { AirlockError } from '../errors.js';
import { positiveInt } from './options.js';

export interface MappingFlags {
  registry?: string;
  flatten?: boolean;
  keepSourceHost?: boolean;
  profile?: string;
  maxDepth?: string;
  depthJoin?: string;
  plan?: string;
}

/** How source paths become target paths: the same two flags for push, values and serve. */
export function withMappingModeOptions<T extends { option: (raw: string, description: string) => T }>(command: T): T {
  return command
    .option('--flatten', 'Use only the last path element (registries that cannot nest)')
    .option('--keep-source-host', 'Keep the source host as a path element: HOST/PREFIX/SRC_HOST/PATH');
}

/** The mapping mode alone (serve: no registry, the server is one). */
export function mappingMode(flags: MappingFlags): MappingMode {
  if (flags.flatten && flags.keepSourceHost) throw new AirlockError('USAGE', '--flatten and --keep-source-host contradict each other');
  return flags.flatten ? 'flatten' : flags.keepSourceHost ? 'keep-source-host' : 'nested';
}

/** Where push puts images, and where values points them: the same flags for both. */
export function withMappingOptions<T extends { option: (raw: string, description: string) => T }>(command: T): T {
  return withMappingModeOptions(command.option('--registry <host/prefix>', 'Target: HOST[:PORT][/PREFIX]; SRC_HOST/PATH:TAG goes to HOST/PREFIX/PATH:TAG'))
    .option('--profile <name>', `Registry profile: ${PROFILE_NAMES.join('|')} (push detects it when not given)`)
    .option('--max-depth <n>', 'At most N path elements per repository, prefix included (overrides the profile)')
    .option('--depth-join <sep>', 'Shorten over-deep names by joining trailing elements with SEP (default: drop leading ones)')
    .option('--plan <file>', 'push --dry-run/--preflight: write the plan here; push and values: follow this plan');
}

export interface MappingChoice {
  registry: TargetRegistry;
  mapping: MappingMode;
  maxDepth?: number;
  depthJoin?: string;
  profileName?: string;
}

/** The target registry, mapping mode and depth rules the flags give; --registry is required (values: unless --plan). */
export function mappingFromFlags(flags: MappingFlags, command: string): MappingChoice {
  if (flags.registry === undefined) throw new AirlockError('USAGE', `${command} needs --registry HOST[/PREFIX]${command === 'values' ? ' (the same as for push), or --plan FILE' : ''}`);
  const mode = mappingMode(flags);
  const maxDepth = positiveInt(flags.maxDepth, '--max-depth');
  if (flags.depthJoin !== undefined && !/^[._-]{1,2}$/.test(flags.depthJoin)) {
    throw new AirlockError('USAGE', `--depth-join ${flags.depthJoin}: a repository name may join words only with . _ - or __`, { hint: 'e.g. --depth-join -' });
  }
  return {
    registry: parseTargetRegistry(flags.registry),
    mapping: mode,
    ...(maxDepth !== undefined ? { maxDepth } : {}),
    ...(flags.depthJoin !== undefined ? { depthJoin: String(flags.depthJoin) } : {}),
    ...(flags.profile !== undefined ? { profileName: flags.profile } : {}),
  };
}

/** A plan to follow is the whole mapping: a flag that would change it is refused rather than silently ignored. */
export function refuseMappingFlags(flags: MappingFlags, plan: PushPlan): void {
  const given = [
    flags.flatten === true ? '--flatten' : '',
    flags.keepSourceHost === true ? '--keep-source-host' : '',
    flags.profile !== undefined ? '--profile' : '',
    flags.maxDepth !== undefined ? '--max-depth' : '',
    flags.depthJoin !== undefined ? '--depth-join' : '',
  ].filter((f) => f !== '');
  if (flags.registry !== undefined) {
    const r = parseTargetRegistry(flags.registry);
    if (r.host !== plan.registry.host || r.prefix !== plan.registry.prefix) given.push(`--registry ${flags.registry}`);
  }
  if (given.length > 0) {
    throw new AirlockError('USAGE', `--plan ${flags.plan ?? ''} fixes the registry and mapping; ${given.join(', ')} would change them`, {
      hint: 'drop those flags, or make a new plan with them: airlock push BUNDLE --dry-run --plan FILE …',
    });
  }
}
