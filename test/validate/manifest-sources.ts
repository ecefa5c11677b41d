/**
 * What the validators (scanners, the Pod Security Standards check) run on: named lists of manifests.
 * Each source is synthesized in memory, so a test never reads a stale dist/.
 *
 * To cover another output, add one entry to MANIFEST_SOURCES: every scanner test and every exception then applies
 * to it.
 */
import { parse } from 'yaml';
import { Manifest } from '../util';
import { EXAMPLES } from '../../examples';
import { chartRender, chartRenderValues } from './chart-renders';
import { allOutputs, VARIANT_PROPS } from '../variants';

export interface ManifestSource {
  /** Unique name, used in test titles and in `where.sources` of scanner-exceptions.yaml, e.g. `example:default`. */
  readonly name: string;
  /** The manifests, as `kubectl apply` would get them, plus the pods Airflow itself creates (see {@link withTaskPods}). */
  readonly manifests: () => Manifest[];
}

/** Name of the Pod that stands for the KubernetesExecutor's task pods of a ConfigMap's `pod_template.yaml`. */
export function taskPodName(configMapName: string): string {
  return `${configMapName}-task-pod`;
}

/**
 * The manifests plus, for each ConfigMap carrying a KubernetesExecutor `pod_template.yaml`, that template as a Pod in
 * the ConfigMap's namespace (where the executor launches task pods), so scanners see the pods Airflow creates too.
 * The template is taken as written: only a name is added (the executor names each task pod itself).
 */
export function withTaskPods(manifests: Manifest[]): Manifest[] {
  const pods: Manifest[] = [];
  for (const m of manifests) {
    const text = m.kind === 'ConfigMap' ? m.data?.['pod_template.yaml'] : undefined;
    if (!text) continue;
    const pod = parse(text);
    pod.metadata = { ...pod.metadata, name: taskPodName(m.metadata.name), namespace: m.metadata.namespace };
    pods.push(pod);
  }
  return [...manifests, ...pods];
}

/**
 * Every example, every variant of test/variants.ts (flower, KubernetesExecutor, LocalExecutor + ingress, ...), and
 * the Helm chart rendered by helm (default values, every optional component on).
 */
export const MANIFEST_SOURCES: ManifestSource[] = [
  ...[
    ...Object.keys(EXAMPLES).map((k) => `example:${k}`),
    ...Object.keys(VARIANT_PROPS).map((k) => `variant:${k}`),
  ].map((name) => ({ name, manifests: () => withTaskPods(allOutputs()[name]) })),
  ...Object.keys(chartRenderValues()).map((name) => ({ name, manifests: () => withTaskPods(chartRender(name)) })),
];
