import { semverCompare } from './funcs/semver.js';

/**
 * Helm's chartutil.IsCompatibleRange: Masterminds semver's constraint check (the
 * port in funcs/, the one semverCompare uses), false when either side does not
 * parse. Used to match subcharts to their Chart.yaml entries and for kubeVersion.
 */
export function isCompatibleRange(constraint: string, version: string): boolean {
  try {
    return semverCompare(constraint, version);
  } catch {
    return false;
  }
}
