import { k8s } from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { NetworkPort } from '../security/network';
import { airflowWorkload, httpProbe } from './airflow-process';
import { AirflowRelease } from './release';
import { resources, validateReplicas, Workload, WorkloadOptions } from './workload';

export const API_SERVER_PORT = 8080;

/** Options of {@link ApiServer} that {@link AirflowChart} exposes under its own prop. */
export interface ApiServerOptions extends WorkloadOptions {
  /**
   * Number of pods.
   * @default 2
   */
  readonly replicas?: number;
  /**
   * Uvicorn worker processes per pod (`airflow api-server --workers`).
   * @default 1
   */
  readonly workers?: number;
}

/** Props of {@link ApiServer}. */
export interface ApiServerProps extends ApiServerOptions {
  /** The release this component belongs to. */
  readonly release: AirflowRelease;
  /**
   * What the FAB auth manager reads: read-only volumes (webserver_config.py, secret files), the login settings as
   * environment variables, and the checksum of webserver_config.py.
   * @internal
   */
  readonly login?: {
    readonly volumes: k8s.Volume[];
    readonly mounts: k8s.VolumeMount[];
    readonly env?: k8s.EnvVar[];
    readonly checksum?: string;
  };
}

/**
 * Airflow 3's api-server (formerly the webserver): the UI, the public REST API and the execution API that
 * task processes call. Deployment (construct id `Resource`) behind a ClusterIP Service on port 8080.
 * @see https://airflow.apache.org/docs/apache-airflow/stable/cli-and-env-variables-ref.html#api-server
 */
export class ApiServer extends Construct {
  public readonly workload: Workload;

  constructor(scope: Construct, id: string, props: ApiServerProps) {
    super(scope, id);
    const replicas = validateReplicas('apiServer.replicas', props.replicas, 1, 2);
    const workers = validateReplicas('apiServer.workers', props.workers, 1, 1);
    // /api/v2/version answers as long as the process serves HTTP; /api/v2/monitor/health also reports the
    // scheduler and database, and would restart or unroute a healthy api-server when those are slow.
    const probe = (period: number, failures: number) => httpProbe('/api/v2/version', 'http', period, failures);
    this.workload = airflowWorkload(this, 'Workload', {
      component: 'api-server',
      prop: 'apiServer',
      release: props.release,
      // A changed login configuration (webserver_config.py) rolls the pods, like airflow.cfg does.
      options: props.login?.checksum
        ? { ...props, podAnnotations: { 'checksum/auth': props.login.checksum, ...props.podAnnotations } }
        : props,
      args: ['api-server', '--port', String(API_SERVER_PORT), '--workers', String(workers)],
      replicas,
      defaultResources: resources(250, 1024, 2048),
      needs: { database: true, fernetKey: true, jwtSecret: true, apiSecretKey: true },
      readsDags: false,
      waitForMigrations: true,
      ports: [{ name: 'http', containerPort: API_SERVER_PORT, protocol: 'TCP' }],
      startupProbe: probe(5, 60),
      livenessProbe: probe(15, 5),
      readinessProbe: probe(10, 3),
      servicePorts: [{ name: 'http', port: API_SERVER_PORT, targetPort: k8s.IntOrString.fromString('http'), protocol: 'TCP' }],
      networkPort: NetworkPort.tcp(API_SERVER_PORT),
      env: props.login?.env,
      volumes: props.login?.volumes,
      volumeMounts: props.login?.mounts,
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: k8s.IntOrString.fromNumber(0), maxSurge: k8s.IntOrString.fromNumber(1) } },
    });
  }

  /** The api-server Service name. */
  public get serviceName(): string {
    return this.workload.name;
  }
}
