import { k8s } from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { Executor } from '../config/executor';
import { NetworkPort } from '../security/network';
import { namespacedRole } from '../security/rbac';
import { airflowWorkload, httpProbe } from './airflow-process';
import { AirflowRelease } from './release';
import { resources, validateReplicas, Workload, WorkloadOptions } from './workload';

export const SCHEDULER_HEALTH_PORT = 8974;
export const WORKER_LOG_PORT = 8793;

/** Options of {@link Scheduler} that {@link AirflowChart} exposes under its own prop. */
export interface SchedulerOptions extends WorkloadOptions {
  /**
   * Number of schedulers; Airflow 3 runs them active-active.
   * @default 2
   */
  readonly replicas?: number;
}

/** Props of {@link Scheduler}. */
export interface SchedulerProps extends SchedulerOptions {
  /** The release this component belongs to. */
  readonly release: AirflowRelease;
  /** @internal volumes for the KubernetesExecutor pod template */
  readonly podTemplate?: { readonly volumes: k8s.Volume[]; readonly mounts: k8s.VolumeMount[] };
}

/**
 * The scheduler. Its liveness probe is Airflow's scheduler health-check server (`/health` on 8974).
 * With LocalExecutor it also runs tasks (and serves their logs on 8793); with KubernetesExecutor it
 * creates task pods, so only then does it get a Role and a service-account token.
 * @see https://airflow.apache.org/docs/apache-airflow/stable/administration-and-deployment/logging-monitoring/check-health.html
 */
export class Scheduler extends Construct {
  public readonly workload: Workload;

  constructor(scope: Construct, id: string, props: SchedulerProps) {
    super(scope, id);
    const r = props.release;
    const replicas = validateReplicas('scheduler.replicas', props.replicas, 1, 2);
    const runsTasks = r.executor === Executor.LOCAL;
    const usesKubeApi = r.executor === Executor.KUBERNETES;
    const probe = (failures: number) => httpProbe('/health', 'health', 30, failures, 10);
    const ports: k8s.ContainerPort[] = [{ name: 'health', containerPort: SCHEDULER_HEALTH_PORT, protocol: 'TCP' }];
    if (runsTasks) ports.push({ name: 'task-logs', containerPort: WORKER_LOG_PORT, protocol: 'TCP' });
    this.workload = airflowWorkload(this, 'Workload', {
      component: 'scheduler',
      prop: 'scheduler',
      release: r,
      options: props,
      args: ['scheduler'],
      replicas,
      defaultResources: runsTasks ? resources(500, 1024, 4096) : resources(250, 1024, 2048),
      // The scheduler signs the tokens task processes present to the execution API: it needs the JWT secret.
      // With LocalExecutor it also serves task logs, validated with [api] secret_key.
      needs: { database: true, fernetKey: true, jwtSecret: true, apiSecretKey: runsTasks, broker: r.executor === Executor.CELERY },
      readsDags: runsTasks,
      waitForMigrations: true,
      ports,
      startupProbe: probe(20),
      livenessProbe: probe(5),
      networkPort: runsTasks ? NetworkPort.tcp(WORKER_LOG_PORT) : undefined,
      kubernetesApiAccess: usesKubeApi,
      terminationGracePeriodSeconds: runsTasks ? 600 : 60,
      logVolumeSize: undefined,
      volumes: props.podTemplate?.volumes,
      volumeMounts: props.podTemplate?.mounts,
    });
    if (usesKubeApi) {
      namespacedRole(this, this.workload.name, r.labels('scheduler'), this.workload.name, [
        { apiGroups: [''], resources: ['pods'], verbs: ['create', 'delete', 'get', 'list', 'patch', 'watch', 'deletecollection'] },
        { apiGroups: [''], resources: ['pods/log'], verbs: ['get', 'list'] },
        { apiGroups: [''], resources: ['events'], verbs: ['list'] },
      ]);
    }
  }
}
