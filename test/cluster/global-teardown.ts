/** Jest global teardown of the cluster tier: stops the control plane global-setup.ts started. */
import { Cluster } from './cluster';

export default async function globalTeardown(): Promise<void> {
  const cluster = (globalThis as any).__CDK8S_AIRFLOW_CLUSTER__ as Cluster | undefined;
  await cluster?.stop();
}
