import { Testing } from 'cdk8s';
import { EXAMPLES } from '../examples';
import { AirflowChart, AirflowChartProps, DagsSource, Executor, IngressTls } from '../src';
import { Manifest, synth } from './util';

/** Every example plus the toggles the examples do not cover, so property tests walk every kind of pod. */
export const VARIANT_PROPS: Record<string, AirflowChartProps> = {
  'celery+flower': { flower: { enabled: true } },
  'kubernetes-executor': { executor: Executor.KUBERNETES, dags: DagsSource.fromPersistentVolumeClaim('dags') },
  'local+ingress': { executor: Executor.LOCAL, ingress: { host: 'airflow.example.com', tls: IngressTls.fromSecret('airflow-tls') } },
  'no-admin-no-task-egress': { adminUser: { enabled: false }, networkPolicy: { taskEgressCidrs: [] } },
};

let cache: Record<string, Manifest[]> | undefined;

/** Synthesized output of every example and variant, by name. */
export function allOutputs(): Record<string, Manifest[]> {
  if (cache) return cache;
  cache = {};
  for (const [name, build] of Object.entries(EXAMPLES)) {
    cache[`example:${name}`] = synth(build(Testing.app()));
  }
  for (const [name, props] of Object.entries(VARIANT_PROPS)) {
    cache[`variant:${name}`] = synth(new AirflowChart(Testing.app(), 'airflow', { namespace: 'airflow', ...props }));
  }
  return cache;
}
