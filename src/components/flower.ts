import { Construct } from 'constructs';
import { Val } from '../expr/core';
import { NetworkPort } from '../security/network';
import { airflowWorkload, httpProbe } from './airflow-process';
import { AirflowRelease, SecretRef, secretEnv } from './release';
import { resources, Workload, WorkloadOptions, WorkloadSettings } from './workload';

/** Flower's port (container and Service). */
export const FLOWER_PORT = 5555;

/** Options of {@link Flower} that {@link AirflowChart} exposes under its own prop. */
export interface FlowerOptions extends WorkloadOptions {
  /**
   * Number of pods.
   * @default 1
   */
  readonly replicas?: number;
}

/** Props of {@link Flower}. Built by {@link AirflowChart}. */
export interface FlowerProps {
  /** The release this component belongs to. */
  readonly release: AirflowRelease;
  readonly settings: WorkloadSettings;
  readonly affinityInput: Val<{ affinity: Record<string, unknown>; replicas: number | undefined }>;
  /** Basic-auth user name. */
  readonly username: SecretRef;
  /** Basic-auth password. */
  readonly password: SecretRef;
}

/**
 * Flower, the Celery monitoring UI, always behind basic auth with credentials from a Secret.
 * Probes use Flower's unauthenticated `/healthcheck`.
 */
export class Flower extends Construct {
  /** Flower's port (container and Service); `FLOWER_PORT` in TypeScript. */
  public static readonly PORT = FLOWER_PORT;
  /** Flower's Deployment, Service and network connections. */
  public readonly workload: Workload;

  /** @internal Built by the chart (the constructor is private so the jsii languages see no initializer). */
  public static _create(scope: Construct, id: string, props: FlowerProps): Flower {
    return new Flower(scope, id, props);
  }

  private constructor(scope: Construct, id: string, props: FlowerProps) {
    super(scope, id);
    const probe = (period: number, failures: number) => httpProbe('/healthcheck', 'http', period, failures);
    this.workload = airflowWorkload(this, 'Workload', {
      component: 'flower',
      release: props.release,
      settings: props.settings,
      affinityInput: props.affinityInput,
      args: ['celery', 'flower', '--port', String(FLOWER_PORT)],
      defaultResources: resources(100, 256, 512),
      needs: { broker: true },
      readsDags: false,
      waitForMigrations: false,
      env: [
        secretEnv('AIRFLOW_FLOWER_USER', props.username),
        secretEnv('AIRFLOW_FLOWER_PASSWORD', props.password),
        { name: 'AIRFLOW__CELERY__FLOWER_BASIC_AUTH', value: '$(AIRFLOW_FLOWER_USER):$(AIRFLOW_FLOWER_PASSWORD)' },
      ],
      ports: [{ name: 'http', containerPort: FLOWER_PORT, protocol: 'TCP' }],
      startupProbe: probe(5, 30),
      livenessProbe: probe(20, 5),
      readinessProbe: probe(10, 3),
      servicePorts: [{ name: 'http', port: FLOWER_PORT, targetPort: 'http', protocol: 'TCP' }],
      networkPort: NetworkPort.tcp(FLOWER_PORT),
    });
  }
}
