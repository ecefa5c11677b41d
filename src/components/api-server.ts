import { Construct } from 'constructs';
import { Val } from '../expr/core';
import { concat } from '../expr/ops';
import { NetworkPort } from '../security/network';
import { airflowWorkload, httpProbe } from './airflow-process';
import { AirflowRelease } from './release';
import { resources, Workload, WorkloadOptions, WorkloadSettings } from './workload';

/** The api-server's port (container and Service). */
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

/** What the FAB auth manager reads in the api-server: files, settings as environment, a checksum that rolls pods. */
export interface ApiServerLogin {
  readonly volumes: unknown[];
  readonly mounts: unknown[];
  readonly env?: unknown[];
  readonly checksum?: unknown;
}

/** Props of {@link ApiServer}. Built by {@link AirflowChart}. */
export interface ApiServerProps {
  /** The release this component belongs to. */
  readonly release: AirflowRelease;
  readonly settings: WorkloadSettings;
  readonly affinityInput: Val<{ affinity: Record<string, unknown>; replicas: number | undefined }>;
  /** Uvicorn worker processes per pod. */
  readonly workers: Val<number>;
  /** What the FAB auth manager reads: webserver_config.py, secret files, the login settings. */
  readonly login: ApiServerLogin;
}

/**
 * Airflow 3's api-server (formerly the webserver): the UI, the public REST API and the execution API that
 * task processes call. Deployment (construct id `Resource`) behind a ClusterIP Service on port 8080.
 * @see https://airflow.apache.org/docs/apache-airflow/stable/cli-and-env-variables-ref.html#api-server
 */
export class ApiServer extends Construct {
  /** The api-server's port (container and Service); `API_SERVER_PORT` in TypeScript. */
  public static readonly PORT = API_SERVER_PORT;
  /** The api-server's Deployment, Service and network connections. */
  public readonly workload: Workload;

  /** @internal Built by the chart (the constructor is private so the jsii languages see no initializer). */
  public static _create(scope: Construct, id: string, props: ApiServerProps): ApiServer {
    return new ApiServer(scope, id, props);
  }

  private constructor(scope: Construct, id: string, props: ApiServerProps) {
    super(scope, id);
    // /api/v2/version answers as long as the process serves HTTP; /api/v2/monitor/health also reports the
    // scheduler and database, and would restart or unroute a healthy api-server when those are slow.
    const probe = (period: number, failures: number) => httpProbe('/api/v2/version', 'http', period, failures);
    this.workload = airflowWorkload(this, 'Workload', {
      component: 'api-server',
      release: props.release,
      settings: props.settings,
      affinityInput: props.affinityInput,
      args: ['api-server', '--port', String(API_SERVER_PORT), '--workers', concat(props.workers)],
      defaultResources: resources(250, 1024, 2048),
      needs: { database: true, fernetKey: true, jwtSecret: true, apiSecretKey: true },
      readsDags: false,
      waitForMigrations: true,
      ports: [{ name: 'http', containerPort: API_SERVER_PORT, protocol: 'TCP' }],
      startupProbe: probe(5, 60),
      livenessProbe: probe(15, 5),
      readinessProbe: probe(10, 3),
      servicePorts: [{ name: 'http', port: API_SERVER_PORT, targetPort: 'http', protocol: 'TCP' }],
      networkPort: NetworkPort.tcp(API_SERVER_PORT),
      env: props.login.env,
      volumes: props.login.volumes,
      volumeMounts: props.login.mounts,
      // A changed login configuration (webserver_config.py) rolls the pods, like airflow.cfg does.
      podAnnotations: props.login.checksum === undefined ? undefined : { 'checksum/auth': props.login.checksum },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
    });
  }

  /**
   * The api-server Service name.
   * TypeScript only (a value expression in the emitted chart).
   * @jsii ignore
   */
  public get serviceName(): Val<string> {
    return this.workload.name;
  }
}
