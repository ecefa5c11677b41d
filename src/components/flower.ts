import { k8s } from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { SecretKeyRef } from '../config/secrets';
import { NetworkPort } from '../security/network';
import { airflowWorkload, httpProbe } from './airflow-process';
import { AirflowRelease } from './release';
import { resources, validateReplicas, Workload, WorkloadOptions } from './workload';

export const FLOWER_PORT = 5555;

/** Options of {@link Flower} that {@link AirflowChart} exposes under its own prop. */
export interface FlowerOptions extends WorkloadOptions {
  /**
   * Number of pods.
   * @default 1
   */
  readonly replicas?: number;
}

/** Props of {@link Flower}. */
export interface FlowerProps extends FlowerOptions {
  /** The release this component belongs to. */
  readonly release: AirflowRelease;
  /** Basic-auth user name. */
  readonly username: SecretKeyRef;
  /** Basic-auth password. */
  readonly password: SecretKeyRef;
}

/**
 * Flower, the Celery monitoring UI, always behind basic auth with credentials from a Secret.
 * Probes use Flower's unauthenticated `/healthcheck`.
 */
export class Flower extends Construct {
  public readonly workload: Workload;

  constructor(scope: Construct, id: string, props: FlowerProps) {
    super(scope, id);
    const replicas = validateReplicas('flower.replicas', props.replicas, 1, 1);
    const probe = (period: number, failures: number) => httpProbe('/healthcheck', 'http', period, failures);
    this.workload = airflowWorkload(this, 'Workload', {
      component: 'flower',
      prop: 'flower',
      release: props.release,
      options: props,
      args: ['celery', 'flower', '--port', String(FLOWER_PORT)],
      replicas,
      defaultResources: resources(100, 256, 512),
      needs: { broker: true },
      readsDags: false,
      waitForMigrations: false,
      env: [
        { name: 'AIRFLOW_FLOWER_USER', valueFrom: { secretKeyRef: { name: props.username.name, key: props.username.key } } },
        { name: 'AIRFLOW_FLOWER_PASSWORD', valueFrom: { secretKeyRef: { name: props.password.name, key: props.password.key } } },
        { name: 'AIRFLOW__CELERY__FLOWER_BASIC_AUTH', value: '$(AIRFLOW_FLOWER_USER):$(AIRFLOW_FLOWER_PASSWORD)' },
      ],
      ports: [{ name: 'http', containerPort: FLOWER_PORT, protocol: 'TCP' }],
      startupProbe: probe(5, 30),
      livenessProbe: probe(20, 5),
      readinessProbe: probe(10, 3),
      servicePorts: [{ name: 'http', port: FLOWER_PORT, targetPort: k8s.IntOrString.fromString('http'), protocol: 'TCP' }],
      networkPort: NetworkPort.tcp(FLOWER_PORT),
    });
  }
}
