import { Construct } from 'constructs';
import { Val } from '../expr/core';
import { and, condition, ifElse } from '../expr/ops';
import { items, scoped, when } from '../expr/tree';
import { NetworkPort } from '../security/network';
import { namespacedRole } from '../security/rbac';
import { airflowWorkload, httpProbe } from './airflow-process';
import { AirflowRelease } from './release';
import { resources, Workload, WorkloadOptions, WorkloadSettings } from './workload';

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

/** Props of {@link Scheduler}. Built by {@link AirflowChart}. */
export interface SchedulerProps {
  /** The release this component belongs to. */
  readonly release: AirflowRelease;
  readonly settings: WorkloadSettings;
  readonly affinityInput: Val<{ affinity: Record<string, unknown>; replicas: number | undefined }>;
  /** Volumes and mounts of the KubernetesExecutor pod template (given with that executor). */
  readonly podTemplate: { readonly volumes: unknown[]; readonly mounts: unknown[] };
}

/**
 * The scheduler. Its liveness probe is Airflow's scheduler health-check server (`/health` on 8974).
 * With LocalExecutor it also runs tasks (and serves their logs on 8793); with KubernetesExecutor it
 * creates task pods, so only then does it get a Role and a service-account token.
 * @see https://airflow.apache.org/docs/apache-airflow/stable/administration-and-deployment/logging-monitoring/check-health.html
 */
export class Scheduler extends Construct {
  /** The scheduler's Deployment and network connections. */
  public readonly workload: Workload;

  /** @internal Built by the chart (the constructor is private so the jsii languages see no initializer). */
  public static _create(scope: Construct, id: string, props: SchedulerProps): Scheduler {
    return new Scheduler(scope, id, props);
  }

  private constructor(scope: Construct, id: string, props: SchedulerProps) {
    super(scope, id);
    const r = props.release;
    const runsTasks = r.executors.local;
    const usesKubeApi = r.executors.kubernetes;
    const probe = (period: number, failures: number) => httpProbe('/health', 'health', period, failures, 10);
    this.workload = airflowWorkload(this, 'Workload', {
      component: 'scheduler',
      release: r,
      settings: props.settings,
      affinityInput: props.affinityInput,
      args: ['scheduler'],
      defaultResources: resources(ifElse(runsTasks, 500, 250), 1024, ifElse(runsTasks, 4096, 2048)),
      // The scheduler signs the tokens task processes present to the execution API: it needs the JWT secret.
      // With LocalExecutor it also serves task logs, validated with [api] secret_key.
      needs: { database: true, fernetKey: true, jwtSecret: true, apiSecretKey: runsTasks, broker: r.executors.celery },
      // With LocalExecutor it runs tasks, which read the DAG files.
      readsDags: condition('airflow.schedulerDags', 'The LocalExecutor scheduler mounts the DAGs volume (dags.persistentVolumeClaim).',
        and(runsTasks, r.dagsFromClaim)),
      waitForMigrations: true,
      env: r.taskEnv.map((e) => when(runsTasks, e)),
      ports: items(
        { name: 'health', containerPort: SCHEDULER_HEALTH_PORT, protocol: 'TCP' },
        when(runsTasks, { name: 'task-logs', containerPort: WORKER_LOG_PORT, protocol: 'TCP' }),
      ),
      startupProbe: probe(30, 20),
      livenessProbe: probe(30, 5),
      // Ready while its heartbeat is recent: a rollout does not count a scheduler that stopped scheduling.
      readinessProbe: probe(15, 2),
      networkPort: NetworkPort.tcp(WORKER_LOG_PORT),
      kubernetesApiAccess: usesKubeApi,
      terminationGracePeriodSeconds: ifElse(runsTasks, 600, 60),
      // With LocalExecutor the task logs live here until they are served, as in a Celery worker.
      logVolumeSizeMi: ifElse(runsTasks, 5120, 1024),
      volumes: items(...props.podTemplate.volumes.map((v) => when(usesKubeApi, v))),
      volumeMounts: items(...props.podTemplate.mounts.map((m) => when(usesKubeApi, m))),
    });
    scoped(usesKubeApi, () => namespacedRole(this, this.workload.name, r.labels('scheduler'), this.workload.name, [
      { apiGroups: [''], resources: ['pods'], verbs: ['create', 'delete', 'get', 'list', 'patch', 'watch'] },
      { apiGroups: [''], resources: ['pods/log'], verbs: ['get', 'list'] },
      { apiGroups: [''], resources: ['events'], verbs: ['list'] },
    ]));
  }
}
