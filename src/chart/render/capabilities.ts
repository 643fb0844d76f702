import { AirlockError } from '../../errors.js';
import type { KubeVersion } from './objects.js';
import type { Capabilities } from './render.js';

/**
 * `helm template`'s capabilities: Helm 3.21's defaults (client-go v0.36, so
 * Kubernetes v1.36.0), the API versions its client-go scheme knows plus the
 * apiextensions ones Helm registers, and Helm's version.
 */

export const HELM_VERSION = 'v3.21.4';
export const DEFAULT_KUBE_VERSION: KubeVersion = { version: 'v1.36.0', major: '1', minor: '36' };

/** client-go v0.36 kubernetes/scheme groups plus apiextensions.k8s.io (Helm's allKnownVersions). */
export const DEFAULT_API_VERSIONS: readonly string[] = [
  'v1',
  'admissionregistration.k8s.io/v1', 'admissionregistration.k8s.io/v1alpha1', 'admissionregistration.k8s.io/v1beta1',
  'internal.apiserver.k8s.io/v1alpha1',
  'apps/v1', 'apps/v1beta1', 'apps/v1beta2',
  'authentication.k8s.io/v1', 'authentication.k8s.io/v1alpha1', 'authentication.k8s.io/v1beta1',
  'authorization.k8s.io/v1', 'authorization.k8s.io/v1beta1',
  'autoscaling/v1', 'autoscaling/v2',
  'batch/v1', 'batch/v1beta1',
  'certificates.k8s.io/v1', 'certificates.k8s.io/v1alpha1', 'certificates.k8s.io/v1beta1',
  'coordination.k8s.io/v1', 'coordination.k8s.io/v1alpha2', 'coordination.k8s.io/v1beta1',
  'discovery.k8s.io/v1', 'discovery.k8s.io/v1beta1',
  'events.k8s.io/v1', 'events.k8s.io/v1beta1',
  'extensions/v1beta1',
  'flowcontrol.apiserver.k8s.io/v1', 'flowcontrol.apiserver.k8s.io/v1beta1', 'flowcontrol.apiserver.k8s.io/v1beta2', 'flowcontrol.apiserver.k8s.io/v1beta3',
  'networking.k8s.io/v1', 'networking.k8s.io/v1beta1',
  'node.k8s.io/v1', 'node.k8s.io/v1alpha1', 'node.k8s.io/v1beta1',
  'policy/v1', 'policy/v1beta1',
  'rbac.authorization.k8s.io/v1', 'rbac.authorization.k8s.io/v1alpha1', 'rbac.authorization.k8s.io/v1beta1',
  'resource.k8s.io/v1', 'resource.k8s.io/v1alpha3', 'resource.k8s.io/v1beta1', 'resource.k8s.io/v1beta2',
  'scheduling.k8s.io/v1', 'scheduling.k8s.io/v1alpha2', 'scheduling.k8s.io/v1beta1',
  'storage.k8s.io/v1', 'storage.k8s.io/v1alpha1', 'storage.k8s.io/v1beta1',
  'storagemigration.k8s.io/v1beta1',
  'apiextensions.k8s.io/v1', 'apiextensions.k8s.io/v1beta1',
];

/** chartutil.ParseKubeVersion (k8s ParseGeneric): `1.30`, `v1.30.2`, `1.30.0-gke.1` (the suffix is dropped). */
export function parseKubeVersion(text: string): KubeVersion {
  const m = /^\s*v?([0-9]+(?:\.[0-9]+)+)/.exec(text);
  if (!m) {
    throw new AirlockError('USAGE', `invalid kube version '${text}': could not parse "${text}" as version`, { hint: 'give a Kubernetes version such as 1.30.0' });
  }
  const parts = m[1]!.split('.').map((p) => String(Number(p)));
  return { version: `v${parts.join('.')}`, major: parts[0]!, minor: parts[1]! };
}

export function capabilities(options: { kubeVersion?: string; apiVersions?: readonly string[] }): Capabilities {
  return {
    kubeVersion: options.kubeVersion !== undefined ? parseKubeVersion(options.kubeVersion) : DEFAULT_KUBE_VERSION,
    apiVersions: [...DEFAULT_API_VERSIONS, ...(options.apiVersions ?? [])],
    // The v3.21.4 tag's commit; the release is built with Go 1.26 (its patch level is not recorded in the source).
    helmVersion: { version: HELM_VERSION, gitCommit: '813176c51bb5c181dbbd7901298ddcc104cd3417', gitTreeState: 'clean', goVersion: 'go1.26.0' },
  };
}
