import { Size } from 'cdk8s';
import { ContainerResources, k8s } from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { AIRFLOW_HOME, LOGS_FOLDER } from '../config/dags';
import { NetworkPort } from '../security/network';
import { ContainerSpec, ImageIdentity, WritablePath } from '../security/pod-security';
import { AirflowRelease, SecretNeeds } from './release';
import { resources, Workload, WorkloadOptions } from './workload';

/** Seconds a component waits for `airflow db migrate` before its init container fails and is retried. */
export const MIGRATION_WAIT_SECONDS = 600;

/** What an Airflow component declares about its process. */
export interface AirflowProcessSpec {
  readonly component: string;
  readonly prop: string;
  readonly release: AirflowRelease;
  readonly options: WorkloadOptions;
  /** Arguments after `airflow`, e.g. `['scheduler']`. */
  readonly args: string[];
  readonly replicas: number | undefined;
  readonly defaultResources: ContainerResources;
  readonly needs: SecretNeeds;
  /** The process reads DAG files. */
  readonly readsDags: boolean;
  /** Hold the process until migrations are applied (needs database access). */
  readonly waitForMigrations: boolean;
  readonly ports?: k8s.ContainerPort[];
  readonly startupProbe?: k8s.Probe;
  readonly livenessProbe?: k8s.Probe;
  readonly readinessProbe?: k8s.Probe;
  readonly servicePorts?: k8s.ServicePort[];
  readonly networkPort?: NetworkPort;
  readonly kubernetesApiAccess?: boolean;
  readonly terminationGracePeriodSeconds?: number;
  /** Size of the emptyDir at `/opt/airflow/logs`. */
  readonly logVolumeSize?: Size;
  readonly env?: k8s.EnvVar[];
  readonly volumes?: k8s.Volume[];
  readonly volumeMounts?: k8s.VolumeMount[];
  readonly strategy?: k8s.DeploymentStrategy;
}

/** Paths every Airflow process writes (verified under a read-only root, see test/security). */
export function airflowWritablePaths(logSize: Size = Size.gibibytes(1)): WritablePath[] {
  return [
    { volume: 'tmp', mountPath: '/tmp', sizeLimit: Size.mebibytes(512) },
    { volume: 'logs', mountPath: LOGS_FOLDER, sizeLimit: logSize },
  ];
}

/** Environment every Airflow container gets (non-secret). */
export function airflowBaseEnv(): k8s.EnvVar[] {
  return [
    { name: 'AIRFLOW_HOME', value: AIRFLOW_HOME },
    // The image entrypoint would otherwise probe the database on every start; the init container does it once.
    { name: 'CONNECTION_CHECK_MAX_COUNT', value: '0' },
    // Byte-code caches would be written next to the sources on a read-only root.
    { name: 'PYTHONDONTWRITEBYTECODE', value: '1' },
  ];
}

/** The init container that holds a pod until the metadata schema is current. */
export function waitForMigrationsContainer(release: AirflowRelease, mounts: k8s.VolumeMount[], env: k8s.EnvVar[], prop: string): ContainerSpec {
  return {
    name: 'wait-for-migrations',
    image: release.image.reference,
    imagePullPolicy: release.image.pullPolicy,
    args: ['airflow', 'db', 'check-migrations', '--migration-wait-timeout', String(MIGRATION_WAIT_SECONDS)],
    env,
    volumeMounts: mounts,
    resourceSpec: resources(50, 256, 512),
    resourceProp: `${prop}.waitForMigrations.resources`,
    writablePaths: airflowWritablePaths(Size.mebibytes(64)),
  };
}

/** Builds an Airflow component's workload: a hardened pod running `airflow <args>`. */
export function airflowWorkload(scope: Construct, id: string, spec: AirflowProcessSpec): Workload {
  const r = spec.release;
  const { volumes, mounts } = r.volumes(spec.needs, { dags: spec.readsDags });
  const processEnv = [...airflowBaseEnv(), ...r.env(spec.needs)];
  // The component's own settings (e.g. the api-server's login settings) are for the process, not the init container.
  const env = [...processEnv, ...(spec.env ?? [])];
  const allMounts = [...mounts, ...(spec.volumeMounts ?? [])];
  const container: ContainerSpec = {
    name: spec.component,
    image: r.image.reference,
    imagePullPolicy: r.image.pullPolicy,
    args: ['airflow', ...spec.args],
    env,
    ports: spec.ports,
    startupProbe: spec.startupProbe,
    livenessProbe: spec.livenessProbe,
    readinessProbe: spec.readinessProbe,
    volumeMounts: allMounts,
    resourceSpec: spec.options.resources ?? spec.defaultResources,
    resourceProp: `${spec.prop}.resources`,
    writablePaths: airflowWritablePaths(spec.logVolumeSize),
  };
  return new Workload(scope, id, {
    component: spec.component,
    prop: spec.prop,
    release: r,
    options: spec.options,
    version: r.image.version,
    kind: 'Deployment',
    replicas: spec.replicas,
    identity: ImageIdentity.AIRFLOW,
    kubernetesApiAccess: spec.kubernetesApiAccess ?? false,
    containers: [container],
    initContainers: spec.waitForMigrations ? [waitForMigrationsContainer(r, mounts, processEnv, spec.prop)] : [],
    volumes: [...volumes, ...(spec.volumes ?? [])],
    terminationGracePeriodSeconds: spec.terminationGracePeriodSeconds,
    podAnnotations: { 'checksum/config': r.configChecksum },
    servicePorts: spec.servicePorts,
    networkPort: spec.networkPort,
    strategy: spec.strategy,
  });
}

/** An exec probe running an Airflow CLI check (slow to start: generous timeouts). */
export function airflowCliProbe(args: string[], periodSeconds = 60): k8s.Probe {
  return {
    exec: { command: ['airflow', ...args] },
    initialDelaySeconds: 10,
    periodSeconds,
    timeoutSeconds: 45,
    failureThreshold: 5,
  };
}

/** An HTTP GET probe on a named container port. */
export function httpProbe(path: string, port: string, periodSeconds: number, failureThreshold: number, timeoutSeconds = 5): k8s.Probe {
  return { httpGet: { path, port: k8s.IntOrString.fromString(port) }, periodSeconds, timeoutSeconds, failureThreshold };
}
