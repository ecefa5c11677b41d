import { App, Chart, Testing } from 'cdk8s';
import { parse } from 'yaml';
import { AirflowChart, AirflowChartProps } from '../src';

export type Manifest = { apiVersion: string; kind: string; metadata: any; spec?: any; data?: any; [k: string]: any };

/** A pod template found in the output, with where it came from. */
export interface PodTemplate {
  /** `<kind>/<name>` of the owner. */
  readonly owner: string;
  readonly component: string;
  readonly namespace: string;
  readonly labels: Record<string, string>;
  readonly spec: any;
}

/** Synthesizes one chart into plain objects. */
export function synth(chart: Chart): Manifest[] {
  return Testing.synth(chart) as Manifest[];
}

/** Synthesizes an AirflowChart with the given props. */
export function synthAirflow(props: AirflowChartProps = {}, id = 'airflow'): Manifest[] {
  const app = Testing.app();
  return synth(new AirflowChart(app, id, { namespace: 'airflow', ...props }));
}

/** Builds a chart, expecting the constructor to throw; returns the message. */
export function errorOf(props: AirflowChartProps): string {
  try {
    new AirflowChart(new App(), 'airflow', { namespace: 'airflow', ...props });
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('expected the chart to throw, but it synthesized');
}

/** Every pod template: workloads, Jobs, and the KubernetesExecutor task pod template in the ConfigMap. */
export function podTemplates(manifests: Manifest[]): PodTemplate[] {
  const out: PodTemplate[] = [];
  for (const m of manifests) {
    if (['Deployment', 'StatefulSet', 'Job', 'DaemonSet'].includes(m.kind)) {
      const t = m.spec.template;
      out.push({ owner: `${m.kind}/${m.metadata.name}`, namespace: m.metadata.namespace, component: t.metadata.labels['app.kubernetes.io/component'], labels: t.metadata.labels, spec: t.spec });
    }
    if (m.kind === 'Pod') {
      out.push({ owner: `Pod/${m.metadata.name}`, namespace: m.metadata.namespace, component: m.metadata.labels?.['app.kubernetes.io/component'], labels: m.metadata.labels ?? {}, spec: m.spec });
    }
    if (m.kind === 'ConfigMap' && m.data?.['pod_template.yaml']) {
      const pod = parse(m.data['pod_template.yaml']);
      out.push({ owner: `ConfigMap/${m.metadata.name}:pod_template.yaml`, namespace: m.metadata.namespace, component: pod.metadata.labels['app.kubernetes.io/component'], labels: pod.metadata.labels, spec: pod.spec });
    }
  }
  return out;
}

/** Every container (init and main) of a pod spec. */
export function containersOf(spec: any): any[] {
  return [...(spec.initContainers ?? []), ...spec.containers];
}

/** Finds one object by kind and name. */
export function find(manifests: Manifest[], kind: string, name: string): Manifest {
  const m = manifests.find((x) => x.kind === kind && x.metadata.name === name);
  if (!m) throw new Error(`no ${kind}/${name} in: ${manifests.map((x) => `${x.kind}/${x.metadata.name}`).join(', ')}`);
  return m;
}

/** Finds the one Job whose name starts with a prefix (Jobs carry a spec hash). */
export function findJob(manifests: Manifest[], prefix: string): Manifest {
  const jobs = manifests.filter((x) => x.kind === 'Job' && x.metadata.name.startsWith(`${prefix}-`));
  if (jobs.length !== 1) throw new Error(`expected one Job ${prefix}-*, found ${jobs.length}`);
  return jobs[0];
}
