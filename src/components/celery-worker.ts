import { Duration, Size } from 'cdk8s';
import { Construct } from 'constructs';
import { Val } from '../expr/core';
import { concat, join } from '../expr/ops';
import { NetworkPort } from '../security/network';
import { airflowWorkload } from './airflow-process';
import { AirflowRelease } from './release';
import { WORKER_LOG_PORT } from './scheduler';
import { resources, Workload, WorkloadOptions, WorkloadSettings } from './workload';

/** Options of {@link CeleryWorkers} that {@link AirflowChart} exposes under its own prop. */
export interface CeleryWorkersOptions extends WorkloadOptions {
  /**
   * Number of worker pods.
   * @default 2
   */
  readonly replicas?: number;
  /**
   * Task slots per worker (`airflow celery worker --concurrency`).
   * @default 16
   */
  readonly concurrency?: number;
  /**
   * How long a stopping worker may finish running tasks (Celery warm shutdown on SIGTERM) before it is killed.
   * Set it above your longest task.
   * @default Duration.minutes(10)
   */
  readonly terminationGracePeriod?: Duration;
  /**
   * Queues the workers consume (`--queues`).
   * @default ['default']
   */
  readonly queues?: string[];
  /**
   * Size of the emptyDir holding task logs until they are served or shipped.
   * @default Size.gibibytes(5)
   */
  readonly logVolumeSize?: Size;
}

/** Props of {@link CeleryWorkers}. Built by {@link AirflowChart}. */
export interface CeleryWorkersProps {
  /** The release this component belongs to. */
  readonly release: AirflowRelease;
  readonly settings: WorkloadSettings;
  readonly affinityInput: Val<{ affinity: Record<string, unknown>; replicas: number | undefined }>;
  readonly concurrency: Val<number>;
  readonly terminationGracePeriodSeconds: Val<number>;
  readonly queues: Val<string[]>;
  readonly logVolumeSizeMi: Val<number>;
}

/**
 * Celery workers. Airflow 3 workers reach the metadata through the api-server's execution API, and task
 * results go to Redis, so workers hold no database credentials. Liveness and readiness: Celery `inspect ping` of this
 * worker. Logs are served on 8793 to the api-server.
 * @see https://airflow.apache.org/docs/apache-airflow-providers-celery/stable/celery_executor.html
 */
export class CeleryWorkers extends Construct {
  /** The workers' Deployment and network connections. */
  public readonly workload: Workload;

  /** @internal Built by the chart (the constructor is private so the jsii languages see no initializer). */
  public static _create(scope: Construct, id: string, props: CeleryWorkersProps): CeleryWorkers {
    return new CeleryWorkers(scope, id, props);
  }

  private constructor(scope: Construct, id: string, props: CeleryWorkersProps) {
    super(scope, id);
    const ping = 'exec python -m celery --app airflow.providers.celery.executors.celery_executor.app '
      + 'inspect ping -d "celery@${HOSTNAME}" --timeout 20';
    this.workload = airflowWorkload(this, 'Workload', {
      component: 'worker',
      release: props.release,
      settings: props.settings,
      affinityInput: props.affinityInput,
      args: ['celery', 'worker', '--concurrency', concat(props.concurrency), '--queues', join(props.queues, ',')],
      defaultResources: resources(500, 2048, 4096),
      needs: { broker: true, apiSecretKey: true },
      readsDags: true,
      waitForMigrations: false,
      env: props.release.taskEnv,
      ports: [{ name: 'task-logs', containerPort: WORKER_LOG_PORT, protocol: 'TCP' }],
      livenessProbe: {
        exec: { command: ['sh', '-c', ping] },
        initialDelaySeconds: 30,
        periodSeconds: 60,
        timeoutSeconds: 45,
        failureThreshold: 5,
      },
      // Ready once it answers a ping, out of rotation after two missed ones: a rollout does not count a worker that
      // does not answer as available.
      readinessProbe: {
        exec: { command: ['sh', '-c', ping] },
        initialDelaySeconds: 10,
        periodSeconds: 30,
        timeoutSeconds: 45,
        failureThreshold: 2,
      },
      networkPort: NetworkPort.tcp(WORKER_LOG_PORT),
      terminationGracePeriodSeconds: props.terminationGracePeriodSeconds,
      logVolumeSizeMi: props.logVolumeSizeMi,
    });
  }
}
