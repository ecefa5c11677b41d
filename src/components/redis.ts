import { Size } from 'cdk8s';
import { k8s } from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { ContainerImage, DefaultImages } from '../config/image';
import { SecretKeyRef } from '../config/secrets';
import { NetworkPort } from '../security/network';
import { ImageIdentity } from '../security/pod-security';
import { AirflowRelease, sha256 } from './release';
import { resources, Workload, WorkloadOptions } from './workload';

export const REDIS_PORT = 6379;

/** Options of {@link Redis} that {@link AirflowChart} exposes under its own prop. */
export interface RedisOptions extends WorkloadOptions {
  /**
   * Image.
   * @default DefaultImages.REDIS
   */
  readonly image?: ContainerImage;
}

/** Props of {@link Redis}. */
export interface RedisProps extends RedisOptions {
  /** The release this component belongs to. */
  readonly release: AirflowRelease;
  /** The password clients must present (AUTH). */
  readonly password: SecretKeyRef;
}

/** redis.conf of the embedded broker: no persistence (Airflow re-queues lost Celery messages), auth required. */
const REDIS_CONF = [
  'bind 0.0.0.0',
  `port ${REDIS_PORT}`,
  'protected-mode yes',
  'dir /data',
  'save ""',
  'appendonly no',
  'maxmemory-policy noeviction',
  // The password is written at start into a memory-backed file; it is never an argument.
  'include /run/redis/auth.conf',
  '',
].join('\n');

/**
 * Embedded Redis for the Celery broker and result backend, on the official image, password required.
 */
export class Redis extends Construct {
  public readonly workload: Workload;
  public readonly host: string;
  public readonly port = REDIS_PORT;

  constructor(scope: Construct, id: string, props: RedisProps) {
    super(scope, id);
    const r = props.release;
    const image = props.image ?? DefaultImages.REDIS;
    const name = r.resourceName('redis');
    const labels = r.labels('redis', image.version);
    new k8s.KubeConfigMap(this, 'Config', { metadata: { name, labels }, data: { 'redis.conf': REDIS_CONF } });
    const start = 'umask 077 && printf \'requirepass "%s"\\n\' "$REDIS_PASSWORD" > /run/redis/auth.conf '
      + '&& unset REDIS_PASSWORD && exec redis-server /etc/redis/redis.conf';
    this.workload = new Workload(this, 'Workload', {
      component: 'redis',
      prop: 'redis',
      release: r,
      options: props,
      version: image.version,
      kind: 'Deployment',
      replicas: 1,
      identity: ImageIdentity.REDIS,
      kubernetesApiAccess: false,
      containers: [{
        name: 'redis',
        image: image.reference,
        imagePullPolicy: image.pullPolicy,
        command: ['sh', '-c', start],
        env: [
          { name: 'REDIS_PASSWORD', valueFrom: { secretKeyRef: { name: props.password.name, key: props.password.key } } },
          { name: 'REDISCLI_AUTH', valueFrom: { secretKeyRef: { name: props.password.name, key: props.password.key } } },
        ],
        ports: [{ name: 'redis', containerPort: REDIS_PORT, protocol: 'TCP' }],
        livenessProbe: { tcpSocket: { port: k8s.IntOrString.fromString('redis') }, periodSeconds: 15, timeoutSeconds: 5, failureThreshold: 5 },
        readinessProbe: {
          exec: { command: ['sh', '-c', `redis-cli -h 127.0.0.1 -p ${REDIS_PORT} ping | grep -q PONG`] },
          periodSeconds: 10,
          timeoutSeconds: 5,
          failureThreshold: 3,
        },
        volumeMounts: [{ name: 'config', mountPath: '/etc/redis', readOnly: true }],
        resourceSpec: props.resources ?? resources(100, 256, 512),
        resourceProp: 'redis.resources',
        writablePaths: [
          { volume: 'data', mountPath: '/data', sizeLimit: Size.mebibytes(64) },
          { volume: 'run', mountPath: '/run/redis', sizeLimit: Size.mebibytes(1), inMemory: true },
          { volume: 'tmp', mountPath: '/tmp', sizeLimit: Size.mebibytes(64) },
        ],
      }],
      volumes: [{ name: 'config', configMap: { name } }],
      podAnnotations: { 'checksum/config': sha256(REDIS_CONF) },
      servicePorts: [{ name: 'redis', port: REDIS_PORT, targetPort: k8s.IntOrString.fromString('redis'), protocol: 'TCP' }],
      networkPort: NetworkPort.tcp(REDIS_PORT),
      strategy: { type: 'Recreate' },
    });
    this.host = name;
  }
}
