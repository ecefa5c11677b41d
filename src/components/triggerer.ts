import { Construct } from 'constructs';
import { Val } from '../expr/core';
import { NetworkPort } from '../security/network';
import { airflowCliProbes, airflowWorkload } from './airflow-process';
import { AirflowRelease } from './release';
import { resources, Workload, WorkloadOptions, WorkloadSettings } from './workload';

export const TRIGGERER_LOG_PORT = 8794;

/** Options of {@link Triggerer} that {@link AirflowChart} exposes under its own prop. */
export interface TriggererOptions extends WorkloadOptions {
  /**
   * Number of pods.
   * @default 1
   */
  readonly replicas?: number;
}

/** Props of {@link Triggerer}. Built by {@link AirflowChart}. */
export interface TriggererProps {
  /** The release this component belongs to. */
  readonly release: AirflowRelease;
  readonly settings: WorkloadSettings;
  readonly affinityInput: Val<{ affinity: Record<string, unknown>; replicas: number | undefined }>;
}

/**
 * The triggerer: runs deferred tasks' triggers in an asyncio loop and serves their logs on 8794.
 * Liveness and readiness: `airflow jobs check --job-type TriggererJob --local`.
 */
export class Triggerer extends Construct {
  /** The triggerer's Deployment and network connections. */
  public readonly workload: Workload;

  /** @internal Built by the chart (the constructor is private so the jsii languages see no initializer). */
  public static _create(scope: Construct, id: string, props: TriggererProps): Triggerer {
    return new Triggerer(scope, id, props);
  }

  private constructor(scope: Construct, id: string, props: TriggererProps) {
    super(scope, id);
    this.workload = airflowWorkload(this, 'Workload', {
      component: 'triggerer',
      release: props.release,
      settings: props.settings,
      affinityInput: props.affinityInput,
      args: ['triggerer'],
      defaultResources: resources(250, 1024, 2048),
      // [api] secret_key validates the api-server's requests to the log server on 8794.
      needs: { database: true, fernetKey: true, apiSecretKey: true },
      readsDags: true,
      waitForMigrations: true,
      ports: [{ name: 'trigger-logs', containerPort: TRIGGERER_LOG_PORT, protocol: 'TCP' }],
      ...airflowCliProbes(['jobs', 'check', '--job-type', 'TriggererJob', '--local']),
      networkPort: NetworkPort.tcp(TRIGGERER_LOG_PORT),
      terminationGracePeriodSeconds: 60,
    });
  }
}
