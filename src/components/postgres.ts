import { Size } from 'cdk8s';
import { Construct } from 'constructs';
import { ContainerImage } from '../config/image';
import { Val } from '../expr/core';
import { concat, isSet } from '../expr/ops';
import { when } from '../expr/tree';
import { NetworkPort } from '../security/network';
import { ProcessIdentity } from '../security/pod-security';
import { imagePullPolicy, imageReference } from './image-spec';
import { AirflowRelease, ImageSpec, SecretRef } from './release';
import { resources, Workload, WorkloadOptions, WorkloadSettings } from './workload';

/** PostgreSQL's port (container and Service). */
export const POSTGRES_PORT = 5432;

/** Options of {@link Postgres} that {@link AirflowChart} exposes under its own prop. */
export interface PostgresOptions extends WorkloadOptions {
  /**
   * Image.
   * @default DefaultImages.POSTGRES
   */
  readonly image?: ContainerImage;
}

/** Props of {@link Postgres}. Built by {@link AirflowChart}. */
export interface PostgresProps {
  /** The release this component belongs to. */
  readonly release: AirflowRelease;
  readonly settings: WorkloadSettings;
  readonly affinityInput: Val<{ affinity: Record<string, unknown>; replicas: number | undefined }>;
  readonly image: ImageSpec;
  /** Password of the database user. */
  readonly password: SecretRef;
  /** Size of the data volume, a Kubernetes quantity (e.g. `8192Mi`). */
  readonly storageSize: Val<string>;
  /** StorageClass of the data volume; empty: the cluster default. */
  readonly storageClassName: Val<string>;
  /** The user and group PostgreSQL runs as (they own the data directory). */
  readonly runAs: ProcessIdentity;
}

/** Default size of the embedded database's volume. */
export const POSTGRES_STORAGE_DEFAULT = Size.gibibytes(8);

/**
 * Embedded PostgreSQL: a one-replica StatefulSet on the official image, data on a PersistentVolumeClaim that
 * is retained when the release is deleted. The password comes from a Secret file, never an argument.
 */
export class Postgres extends Construct {
  /** PostgreSQL's port (container and Service); `POSTGRES_PORT` in TypeScript. */
  public static readonly PORT = POSTGRES_PORT;
  /** PostgreSQL's StatefulSet, Service and network connections. */
  public readonly workload: Workload;
  /**
   * Service host name clients connect to.
   * TypeScript only (a value expression in the emitted chart).
   * @jsii ignore
   */
  public readonly host: Val<string>;
  /** The port clients connect to. */
  public readonly port = POSTGRES_PORT;

  /** @internal Built by the chart (the constructor is private so the jsii languages see no initializer). */
  public static _create(scope: Construct, id: string, props: PostgresProps): Postgres {
    return new Postgres(scope, id, props);
  }

  private constructor(scope: Construct, id: string, props: PostgresProps) {
    super(scope, id);
    const r = props.release;
    const db = 'airflow';
    const pgIsReady = ['pg_isready', '--host', '127.0.0.1', '--port', String(POSTGRES_PORT), '--username', db, '--dbname', db];
    this.workload = Workload._create(this, 'Workload', {
      component: 'postgres',
      release: r,
      settings: props.settings,
      affinityInput: props.affinityInput,
      image: props.image,
      kind: 'StatefulSet',
      identity: props.runAs,
      kubernetesApiAccess: false,
      containers: [{
        name: 'postgres',
        image: imageReference(props.image),
        imagePullPolicy: imagePullPolicy(props.image),
        env: [
          { name: 'POSTGRES_USER', value: db },
          { name: 'POSTGRES_DB', value: db },
          { name: 'POSTGRES_PASSWORD_FILE', value: concat('/run/secrets/postgres/', props.password.key) },
          { name: 'PGDATA', value: '/var/lib/postgresql/data/pgdata' },
        ],
        ports: [{ name: 'postgres', containerPort: POSTGRES_PORT, protocol: 'TCP' }],
        startupProbe: { exec: { command: pgIsReady }, periodSeconds: 5, timeoutSeconds: 5, failureThreshold: 60 },
        livenessProbe: { tcpSocket: { port: 'postgres' }, periodSeconds: 20, timeoutSeconds: 5, failureThreshold: 6 },
        readinessProbe: { exec: { command: pgIsReady }, periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 3 },
        volumeMounts: [{ name: 'password', mountPath: '/run/secrets/postgres', readOnly: true }],
        resources: { custom: props.settings.resources, defaults: resources(250, 512, 1024) },
        writablePaths: [
          { volume: 'data', mountPath: '/var/lib/postgresql/data', external: true },
          { volume: 'run', mountPath: '/var/run/postgresql', sizeMi: 16 },
          { volume: 'tmp', mountPath: '/tmp', sizeMi: 256 },
          { volume: 'shm', mountPath: '/dev/shm', sizeMi: 256 },
        ],
      }],
      volumes: [{ name: 'password', secret: { secretName: props.password.name, items: [{ key: props.password.key, path: props.password.key }] } }],
      terminationGracePeriodSeconds: 60,
      servicePorts: [{ name: 'postgres', port: POSTGRES_PORT, targetPort: 'postgres', protocol: 'TCP' }],
      networkPort: NetworkPort.tcp(POSTGRES_PORT),
      volumeClaimTemplates: [{
        metadata: { name: 'data', labels: r.selectorLabels('postgres') },
        spec: {
          accessModes: ['ReadWriteOnce'],
          storageClassName: when(isSet(props.storageClassName), props.storageClassName),
          resources: { requests: { storage: props.storageSize } },
        },
      }],
      statefulSetRetention: { whenDeleted: 'Retain', whenScaled: 'Retain' },
    });
    this.host = r.resourceName('postgres');
  }
}
