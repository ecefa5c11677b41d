import { Size } from 'cdk8s';
import { k8s } from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { ContainerImage, DefaultImages } from '../config/image';
import { SecretKeyRef } from '../config/secrets';
import { NetworkPort } from '../security/network';
import { ImageIdentity } from '../security/pod-security';
import { AirflowRelease } from './release';
import { resources, Workload, WorkloadOptions } from './workload';

export const POSTGRES_PORT = 5432;

/** Options of {@link Postgres} that {@link AirflowChart} exposes under its own prop. */
export interface PostgresOptions extends WorkloadOptions {
  /**
   * Image.
   * @default DefaultImages.POSTGRES
   */
  readonly image?: ContainerImage;
}

/** Props of {@link Postgres}. */
export interface PostgresProps extends PostgresOptions {
  /** The release this component belongs to. */
  readonly release: AirflowRelease;
  /** Password of the database user. */
  readonly password: SecretKeyRef;
  /**
   * Database and user name.
   * @default 'airflow'
   */
  readonly database?: string;
  /**
   * Size of the data volume.
   * @default Size.gibibytes(8)
   */
  readonly storageSize?: Size;
  /**
   * StorageClass of the data volume.
   * @default - the cluster default
   */
  readonly storageClassName?: string;
}

/**
 * Embedded PostgreSQL: a one-replica StatefulSet on the official image, data on a PersistentVolumeClaim that
 * is retained when the release is deleted. The password comes from a Secret file, never an argument.
 */
export class Postgres extends Construct {
  public readonly workload: Workload;
  /** Service host name clients connect to. */
  public readonly host: string;
  public readonly port = POSTGRES_PORT;

  constructor(scope: Construct, id: string, props: PostgresProps) {
    super(scope, id);
    const r = props.release;
    const image = props.image ?? DefaultImages.POSTGRES;
    const db = props.database ?? 'airflow';
    const storage = props.storageSize ?? Size.gibibytes(8);
    const name = r.resourceName('postgres');
    const pgIsReady = ['pg_isready', '--host', '127.0.0.1', '--port', String(POSTGRES_PORT), '--username', db, '--dbname', db];
    this.workload = new Workload(this, 'Workload', {
      component: 'postgres',
      prop: 'postgres',
      release: r,
      options: props,
      version: image.version,
      kind: 'StatefulSet',
      replicas: 1,
      identity: ImageIdentity.POSTGRES,
      kubernetesApiAccess: false,
      containers: [{
        name: 'postgres',
        image: image.reference,
        imagePullPolicy: image.pullPolicy,
        env: [
          { name: 'POSTGRES_USER', value: db },
          { name: 'POSTGRES_DB', value: db },
          { name: 'POSTGRES_PASSWORD_FILE', value: `/run/secrets/postgres/${props.password.key}` },
          { name: 'PGDATA', value: '/var/lib/postgresql/data/pgdata' },
        ],
        ports: [{ name: 'postgres', containerPort: POSTGRES_PORT, protocol: 'TCP' }],
        startupProbe: { exec: { command: pgIsReady }, periodSeconds: 5, timeoutSeconds: 5, failureThreshold: 60 },
        livenessProbe: { tcpSocket: { port: k8s.IntOrString.fromString('postgres') }, periodSeconds: 20, timeoutSeconds: 5, failureThreshold: 6 },
        readinessProbe: { exec: { command: pgIsReady }, periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 3 },
        volumeMounts: [{ name: 'password', mountPath: '/run/secrets/postgres', readOnly: true }],
        resourceSpec: props.resources ?? resources(250, 512, 1024),
        resourceProp: 'postgres.resources',
        writablePaths: [
          { volume: 'data', mountPath: '/var/lib/postgresql/data', external: true },
          { volume: 'run', mountPath: '/var/run/postgresql', sizeLimit: Size.mebibytes(16) },
          { volume: 'tmp', mountPath: '/tmp', sizeLimit: Size.mebibytes(256) },
          { volume: 'shm', mountPath: '/dev/shm', sizeLimit: Size.mebibytes(256) },
        ],
      }],
      volumes: [{ name: 'password', secret: { secretName: props.password.name, items: [{ key: props.password.key, path: props.password.key }] } }],
      terminationGracePeriodSeconds: 60,
      servicePorts: [{ name: 'postgres', port: POSTGRES_PORT, targetPort: k8s.IntOrString.fromString('postgres'), protocol: 'TCP' }],
      networkPort: NetworkPort.tcp(POSTGRES_PORT),
      volumeClaimTemplates: [{
        metadata: { name: 'data', labels: r.selectorLabels('postgres') },
        spec: {
          accessModes: ['ReadWriteOnce'],
          storageClassName: props.storageClassName,
          resources: { requests: { storage: k8s.Quantity.fromString(`${storage.toMebibytes()}Mi`) } },
        },
      }],
      statefulSetRetention: { whenDeleted: 'Retain', whenScaled: 'Retain' },
    });
    this.host = name;
  }
}
