/**
 * Jest global setup of the cluster tier: builds or reuses the pinned tools, starts one control plane for the whole
 * run (each test file works in its own namespaces) and hands its address to the test files through
 * CDK8S_AIRFLOW_CLUSTER. global-teardown.ts stops it; a crash or Ctrl-C of jest kills what it started.
 */
import { execFileSync } from 'child_process';
import { writeFileSync } from 'fs';
import { join } from 'path';
import { Cluster, clusterTools } from './cluster';

export default async function globalSetup(): Promise<void> {
  const tools = clusterTools();
  const cluster = new Cluster(tools);
  (globalThis as any).__CDK8S_AIRFLOW_CLUSTER__ = cluster;
  process.once('exit', () => cluster.killNow());
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => { cluster.killNow(); process.exit(130); });
  }
  let info;
  try {
    info = await cluster.start();
  } catch (e) {
    await cluster.stop();
    throw e;
  }
  const file = join(info.dir, 'cluster.json');
  writeFileSync(file, JSON.stringify(info, null, 2));
  process.env.CDK8S_AIRFLOW_CLUSTER = file;
  const etcd = execFileSync(tools.etcd, ['--version'], { encoding: 'utf8' }).split('\n')[0];
  process.stdout.write(`\ncluster tier: Kubernetes ${tools.kubeVersion} (kube-apiserver, kube-controller-manager), ${etcd} (${tools.etcd}), at ${info.server}, state in ${info.dir}\n`);
}
