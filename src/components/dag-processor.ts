import { Construct } from 'constructs';
import { airflowCliProbe, airflowWorkload } from './airflow-process';
import { AirflowRelease } from './release';
import { resources, validateReplicas, Workload, WorkloadOptions } from './workload';

/** Options of {@link DagProcessor} that {@link AirflowChart} exposes under its own prop. */
export interface DagProcessorOptions extends WorkloadOptions {
  /**
   * Number of pods.
   * @default 1
   */
  readonly replicas?: number;
}

/** Props of {@link DagProcessor}. */
export interface DagProcessorProps extends DagProcessorOptions {
  /** The release this component belongs to. */
  readonly release: AirflowRelease;
}

/**
 * The standalone DAG processor (Airflow 3 always runs it apart from the scheduler): parses DAG files and
 * stores serialized DAGs. Liveness: `airflow jobs check --job-type DagProcessorJob --local`.
 */
export class DagProcessor extends Construct {
  public readonly workload: Workload;

  constructor(scope: Construct, id: string, props: DagProcessorProps) {
    super(scope, id);
    const replicas = validateReplicas('dagProcessor.replicas', props.replicas, 1, 1);
    this.workload = airflowWorkload(this, 'Workload', {
      component: 'dag-processor',
      prop: 'dagProcessor',
      release: props.release,
      options: props,
      args: ['dag-processor'],
      replicas,
      defaultResources: resources(250, 1024, 2048),
      needs: { database: true, fernetKey: true },
      readsDags: true,
      waitForMigrations: true,
      livenessProbe: airflowCliProbe(['jobs', 'check', '--job-type', 'DagProcessorJob', '--local']),
      terminationGracePeriodSeconds: 60,
    });
  }
}
