import { Construct } from 'constructs';
import { Val } from '../expr/core';
import { airflowCliProbes, airflowWorkload } from './airflow-process';
import { AirflowRelease } from './release';
import { resources, Workload, WorkloadOptions, WorkloadSettings } from './workload';

/** Options of {@link DagProcessor} that {@link AirflowChart} exposes under its own prop. */
export interface DagProcessorOptions extends WorkloadOptions {
  /**
   * Number of pods.
   * @default 1
   */
  readonly replicas?: number;
}

/** Props of {@link DagProcessor}. Built by {@link AirflowChart}. */
export interface DagProcessorProps {
  /** The release this component belongs to. */
  readonly release: AirflowRelease;
  readonly settings: WorkloadSettings;
  readonly affinityInput: Val<{ affinity: Record<string, unknown>; replicas: number | undefined }>;
}

/**
 * The standalone DAG processor (Airflow 3 always runs it apart from the scheduler): parses DAG files and
 * stores serialized DAGs. Liveness and readiness: `airflow jobs check --job-type DagProcessorJob --local`.
 */
export class DagProcessor extends Construct {
  /** The dag-processor's Deployment and network connections. */
  public readonly workload: Workload;

  /** @internal Built by the chart (the constructor is private so the jsii languages see no initializer). */
  public static _create(scope: Construct, id: string, props: DagProcessorProps): DagProcessor {
    return new DagProcessor(scope, id, props);
  }

  private constructor(scope: Construct, id: string, props: DagProcessorProps) {
    super(scope, id);
    this.workload = airflowWorkload(this, 'Workload', {
      component: 'dag-processor',
      release: props.release,
      settings: props.settings,
      affinityInput: props.affinityInput,
      args: ['dag-processor'],
      defaultResources: resources(250, 1024, 2048),
      needs: { database: true, fernetKey: true },
      readsDags: true,
      waitForMigrations: true,
      ...airflowCliProbes(['jobs', 'check', '--job-type', 'DagProcessorJob', '--local']),
      terminationGracePeriodSeconds: 60,
    });
  }
}
