import { Construct } from 'constructs';
import { NetworkPort } from '../security/network';
import { airflowCliProbe, airflowWorkload } from './airflow-process';
import { AirflowRelease } from './release';
import { resources, validateReplicas, Workload, WorkloadOptions } from './workload';

export const TRIGGERER_LOG_PORT = 8794;

/** Options of {@link Triggerer} that {@link AirflowChart} exposes under its own prop. */
export interface TriggererOptions extends WorkloadOptions {
  /**
   * Number of pods.
   * @default 1
   */
  readonly replicas?: number;
}

/** Props of {@link Triggerer}. */
export interface TriggererProps extends TriggererOptions {
  /** The release this component belongs to. */
  readonly release: AirflowRelease;
}

/**
 * The triggerer: runs deferred tasks' triggers in an asyncio loop and serves their logs on 8794.
 * Liveness: `airflow jobs check --job-type TriggererJob --local`.
 */
export class Triggerer extends Construct {
  public readonly workload: Workload;

  constructor(scope: Construct, id: string, props: TriggererProps) {
    super(scope, id);
    const replicas = validateReplicas('triggerer.replicas', props.replicas, 1, 1);
    this.workload = airflowWorkload(this, 'Workload', {
      component: 'triggerer',
      prop: 'triggerer',
      release: props.release,
      options: props,
      args: ['triggerer'],
      replicas,
      defaultResources: resources(250, 1024, 2048),
      // [api] secret_key validates the api-server's requests to the log server on 8794.
      needs: { database: true, fernetKey: true, apiSecretKey: true },
      readsDags: true,
      waitForMigrations: true,
      ports: [{ name: 'trigger-logs', containerPort: TRIGGERER_LOG_PORT, protocol: 'TCP' }],
      livenessProbe: airflowCliProbe(['jobs', 'check', '--job-type', 'TriggererJob', '--local']),
      networkPort: NetworkPort.tcp(TRIGGERER_LOG_PORT),
      terminationGracePeriodSeconds: 60,
    });
  }
}
