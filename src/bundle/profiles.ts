import { AirlockError } from '../errors.js';
import { ecrRegion } from '../registry/errors.js';
import { hostnameOf } from '../registry/transport.js';

/**
 * What airlock knows of a registry product before it moves a byte: how deep a
 * repository path may be, what must exist before a push, and what a moved tag
 * means there. The limits are the products' documented ones (README, "Registry
 * profiles"); `--max-depth` overrides any of them.
 */
export const PROFILE_NAMES = ['distribution', 'harbor', 'quay', 'gitlab', 'ecr', 'artifactory', 'nexus'] as const;
export type ProfileName = (typeof PROFILE_NAMES)[number];

export interface RegistryProfile {
  name: ProfileName;
  /** Path elements a repository may have, prefix included (undefined = no limit). */
  maxDepth?: number;
  /** Path elements allowed below the `--registry` prefix (GitLab: two below the project). */
  maxBelowPrefix?: number;
  /** What must exist before a push: Harbor projects (checked), ECR repositories (the write check finds them missing). */
  needs?: 'harbor-project' | 'ecr-repository';
  /** Whether a tag that moves is refused as immutable rather than overwritten. */
  immutableTags?: boolean;
  /** One line for the user on what the first path element means there. */
  note?: string;
}

const PROFILES: Record<ProfileName, RegistryProfile> = {
  distribution: { name: 'distribution' },
  harbor: { name: 'harbor', needs: 'harbor-project', note: 'the first path element is the Harbor project; it must exist' },
  // quay.io and Quay before FEATURE_EXTENDED_REPOSITORY_NAMES (3.6) take NAMESPACE/REPO only.
  quay: { name: 'quay', maxDepth: 2, note: 'the first path element is the organization or user namespace' },
  // GitLab: the project's full path plus at most two more names.
  gitlab: { name: 'gitlab', maxBelowPrefix: 2, note: 'the --registry prefix must be the group/project path' },
  ecr: { name: 'ecr', needs: 'ecr-repository', immutableTags: true, note: 'every repository must exist before the push (aws ecr create-repository)' },
  artifactory: { name: 'artifactory', note: 'the first path element is the repository key (unless the port or subdomain method names it)' },
  nexus: { name: 'nexus', note: 'the repository is the first path element with path-based routing, else chosen by a port or subdomain connector' },
};

export type DetectedBy = 'flag' | 'host' | 'systeminfo' | 'default' | 'plan';

export interface ResolvedProfile extends RegistryProfile {
  detectedBy: DetectedBy;
  /** What told us: `--profile`, the host pattern, Harbor's version. */
  evidence: string;
}

/** What auto-detection may ask a registry (Harbor's unauthenticated systeminfo). */
export interface ProfileProbe {
  harborVersion(): Promise<string | undefined>;
}

export function profileByName(name: string): RegistryProfile {
  if (!(PROFILE_NAMES as readonly string[]).includes(name)) {
    throw new AirlockError('USAGE', `--profile ${name} is not a known registry profile`, { hint: `one of: ${PROFILE_NAMES.join(', ')}` });
  }
  return PROFILES[name as ProfileName];
}

/** The profile a host name alone gives: ECR's pattern and well-known public hosts. */
export function profileByHost(host: string): ResolvedProfile | undefined {
  const name = hostnameOf(host).toLowerCase();
  if (ecrRegion(host) !== undefined) return { ...PROFILES.ecr, detectedBy: 'host', evidence: `${name} matches ACCOUNT.dkr.ecr.REGION.amazonaws.com` };
  if (name === 'quay.io') return { ...PROFILES.quay, detectedBy: 'host', evidence: 'quay.io' };
  if (name === 'registry.gitlab.com') return { ...PROFILES.gitlab, detectedBy: 'host', evidence: 'registry.gitlab.com' };
  if (name.endsWith('.jfrog.io')) return { ...PROFILES.artifactory, detectedBy: 'host', evidence: `${name} is a JFrog cloud host` };
  return undefined;
}

/**
 * The profile to use: the one named, else the host's, else Harbor when its
 * systeminfo answers (one cheap GET), else plain distribution.
 */
export async function resolveProfile(host: string, requested: string | undefined, probe?: ProfileProbe): Promise<ResolvedProfile> {
  if (requested !== undefined) return { ...profileByName(requested), detectedBy: 'flag', evidence: `--profile ${requested}` };
  const byHost = profileByHost(host);
  if (byHost !== undefined) return byHost;
  const version = probe === undefined ? undefined : await probe.harborVersion();
  if (version !== undefined) return { ...PROFILES.harbor, detectedBy: 'systeminfo', evidence: `GET /api/v2.0/systeminfo: Harbor ${version}` };
  return { ...PROFILES.distribution, detectedBy: 'default', evidence: 'no profile named or detected' };
}

/** The depth limit for a prefix: `--max-depth` first, then the profile's. */
export function depthLimit(profile: RegistryProfile, prefix: string, maxDepth: number | undefined): number | undefined {
  if (maxDepth !== undefined) return maxDepth;
  if (profile.maxBelowPrefix !== undefined) return (prefix === '' ? 0 : prefix.split('/').length) + profile.maxBelowPrefix;
  return profile.maxDepth;
}
