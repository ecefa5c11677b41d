import { Construct } from 'constructs';
import { LOGS_FOLDER } from '../config/dags';
import { Val } from '../expr/core';
import { items, spread } from '../expr/tree';
import { NetworkPort } from '../security/network';
import { ContainerSpec, ImageIdentity, ResourceDefaults, WritablePath } from '../security/pod-security';
import { imagePullPolicy } from './image-spec';
import { AirflowRelease, SecretNeeds } from './release';
import { resources, Workload, WorkloadSettings } from './workload';

/** Seconds a component waits for `airflow db migrate` before its init container fails and is retried. */
export const MIGRATION_WAIT_SECONDS = 600;

/** What an Airflow component declares about its process. */
export interface AirflowProcessSpec {
  readonly component: string;
  readonly release: AirflowRelease;
  readonly settings: WorkloadSettings;
  /** The component's values (chart) or its affinity and replicas (TypeScript). */
  readonly affinityInput: Val<{ affinity: Record<string, unknown>; replicas: number | undefined }>;
  /** Arguments after `airflow`, e.g. `['scheduler']`. */
  readonly args: Val<string>[];
  readonly defaultResources: ResourceDefaults;
  readonly needs: SecretNeeds;
  /** The process reads DAG files. */
  readonly readsDags: Val<boolean>;
  /** Hold the process until migrations are applied (needs database access). */
  readonly waitForMigrations: boolean;
  readonly ports?: unknown[];
  readonly startupProbe?: unknown;
  readonly livenessProbe?: unknown;
  readonly readinessProbe?: unknown;
  readonly servicePorts?: unknown[];
  readonly networkPort?: NetworkPort;
  readonly kubernetesApiAccess?: Val<boolean>;
  readonly terminationGracePeriodSeconds?: Val<number>;
  /** Size of the emptyDir at `/opt/airflow/logs` in MiB. */
  readonly logVolumeSizeMi?: Val<number>;
  /** The component's own environment (after the release's, before the user's extra variables). */
  readonly env?: unknown[];
  readonly volumes?: unknown[];
  readonly volumeMounts?: unknown[];
  readonly strategy?: unknown;
  readonly podAnnotations?: Record<string, unknown>;
}

/** Paths every Airflow process writes (verified under a read-only root, see test/security). */
export function airflowWritablePaths(logSizeMi: Val<number> = 1024): WritablePath[] {
  return [
    { volume: 'tmp', mountPath: '/tmp', sizeMi: 512 },
    { volume: 'logs', mountPath: LOGS_FOLDER, sizeMi: logSizeMi },
  ];
}

/** The init container that holds a pod until the metadata schema is current. */
export function waitForMigrationsContainer(release: AirflowRelease, mounts: unknown[], env: unknown): ContainerSpec {
  return {
    name: 'wait-for-migrations',
    image: release.imageRef,
    imagePullPolicy: imagePullPolicy(release.image),
    args: ['airflow', 'db', 'check-migrations', '--migration-wait-timeout', String(MIGRATION_WAIT_SECONDS)],
    env: items(spread(env as unknown[])),
    volumeMounts: mounts,
    resources: { defaults: resources(50, 256, 512) },
    writablePaths: airflowWritablePaths(64),
  };
}

/** Builds an Airflow component's workload: a hardened pod running `airflow <args>`. */
export function airflowWorkload(scope: Construct, id: string, spec: AirflowProcessSpec): Workload {
  const r = spec.release;
  const { volumes, mounts } = r.volumes(spec.needs, { dags: spec.readsDags });
  const processEnv = r.env(spec.needs);
  const container: ContainerSpec = {
    name: spec.component,
    image: r.imageRef,
    imagePullPolicy: imagePullPolicy(r.image),
    args: ['airflow', ...spec.args],
    // The component's own settings (e.g. the api-server's login settings) are for the process, not the init container.
    env: items(spread(processEnv), ...(spec.env ?? [])),
    ports: spec.ports,
    startupProbe: spec.startupProbe,
    livenessProbe: spec.livenessProbe,
    readinessProbe: spec.readinessProbe,
    volumeMounts: items(...mounts, ...(spec.volumeMounts ?? [])),
    resources: { custom: spec.settings.resources, defaults: spec.defaultResources },
    writablePaths: airflowWritablePaths(spec.logVolumeSizeMi),
  };
  return Workload._create(scope, id, {
    component: spec.component,
    release: r,
    settings: spec.settings,
    affinityInput: spec.affinityInput,
    image: r.image,
    kind: 'Deployment',
    identity: ImageIdentity.AIRFLOW,
    kubernetesApiAccess: spec.kubernetesApiAccess ?? false,
    containers: [container],
    initContainers: spec.waitForMigrations ? [waitForMigrationsContainer(r, r.volumes(spec.needs).mounts, processEnv)] : [],
    volumes: items(...volumes, ...(spec.volumes ?? [])),
    terminationGracePeriodSeconds: spec.terminationGracePeriodSeconds,
    podAnnotations: { 'checksum/config': r.configChecksum, ...(spec.podAnnotations ?? {}) },
    servicePorts: spec.servicePorts,
    networkPort: spec.networkPort,
    strategy: spec.strategy,
  });
}

/** An exec probe running an Airflow CLI check (slow to start: generous timeouts). */
export function airflowCliProbe(args: string[], periodSeconds = 60, failureThreshold = 5): Record<string, unknown> {
  return {
    exec: { command: ['airflow', ...args] },
    initialDelaySeconds: 10,
    periodSeconds,
    timeoutSeconds: 45,
    failureThreshold,
  };
}

/**
 * The liveness and readiness probes of a component without an HTTP health endpoint: one Airflow CLI check, run each
 * minute for readiness (out of rotation after two misses: a rollout does not count a pod whose job does not
 * heartbeat) and every two minutes for liveness (restarted after five misses).
 */
export function airflowCliProbes(args: string[]): { livenessProbe: unknown; readinessProbe: unknown } {
  return { livenessProbe: airflowCliProbe(args, 120, 5), readinessProbe: airflowCliProbe(args, 60, 2) };
}

/** An HTTP GET probe on a named container port. */
export function httpProbe(path: string, port: string, periodSeconds: number, failureThreshold: number, timeoutSeconds = 5): Record<string, unknown> {
  return { httpGet: { path, port }, periodSeconds, timeoutSeconds, failureThreshold };
}

export { airflowBaseEnv } from './airflow-env';
