import { Construct } from 'constructs';
import { ContainerImage } from '../config/image';
import { Val } from '../expr/core';
import { kubeObject } from '../expr/tree';
import { NetworkPort } from '../security/network';
import { ImageIdentity } from '../security/pod-security';
import { imagePullPolicy, imageReference } from './image-spec';
import { AirflowRelease, ImageSpec, SecretRef, secretEnv, sha256 } from './release';
import { resources, Workload, WorkloadOptions, WorkloadSettings } from './workload';

/** Redis's port (container and Service). */
export const REDIS_PORT = 6379;

/** Options of {@link Redis} that {@link AirflowChart} exposes under its own prop. */
export interface RedisOptions extends WorkloadOptions {
  /**
   * Image.
   * @default DefaultImages.REDIS
   */
  readonly image?: ContainerImage;
}

/** Props of {@link Redis}. Built by {@link AirflowChart}. */
export interface RedisProps {
  /** The release this component belongs to. */
  readonly release: AirflowRelease;
  readonly settings: WorkloadSettings;
  readonly affinityInput: Val<{ affinity: Record<string, unknown>; replicas: number | undefined }>;
  readonly image: ImageSpec;
  /** The password clients must present (AUTH). */
  readonly password: SecretRef;
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
  /** Redis's port (container and Service); `REDIS_PORT` in TypeScript. */
  public static readonly PORT = REDIS_PORT;
  /** Redis's Deployment, Service and network connections. */
  public readonly workload: Workload;
  /**
   * The Service name clients connect to.
   * TypeScript only (a value expression in the emitted chart).
   * @jsii ignore
   */
  public readonly host: Val<string>;
  /** The port clients connect to. */
  public readonly port = REDIS_PORT;

  /** @internal Built by the chart (the constructor is private so the jsii languages see no initializer). */
  public static _create(scope: Construct, id: string, props: RedisProps): Redis {
    return new Redis(scope, id, props);
  }

  private constructor(scope: Construct, id: string, props: RedisProps) {
    super(scope, id);
    const r = props.release;
    const name = r.resourceName('redis');
    const labels = r.labels('redis', props.image);
    kubeObject(this, 'Config', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, labels }, data: { 'redis.conf': REDIS_CONF } });
    const start = [
      'set -e',
      'umask 077',
      'printf \'requirepass "%s"\\n\' "$REDIS_PASSWORD" > /run/redis/auth.conf',
      'unset REDIS_PASSWORD',
      'exec redis-server /etc/redis/redis.conf',
    ].join('\n');
    this.workload = Workload._create(this, 'Workload', {
      component: 'redis',
      release: r,
      settings: props.settings,
      affinityInput: props.affinityInput,
      image: props.image,
      kind: 'Deployment',
      identity: ImageIdentity.REDIS,
      kubernetesApiAccess: false,
      containers: [{
        name: 'redis',
        image: imageReference(props.image),
        imagePullPolicy: imagePullPolicy(props.image),
        command: ['sh', '-c', start],
        env: [secretEnv('REDIS_PASSWORD', props.password), secretEnv('REDISCLI_AUTH', props.password)],
        ports: [{ name: 'redis', containerPort: REDIS_PORT, protocol: 'TCP' }],
        livenessProbe: { tcpSocket: { port: 'redis' }, periodSeconds: 15, timeoutSeconds: 5, failureThreshold: 5 },
        readinessProbe: {
          exec: { command: ['sh', '-c', `redis-cli -h 127.0.0.1 -p ${REDIS_PORT} ping | grep -q PONG`] },
          periodSeconds: 10,
          timeoutSeconds: 5,
          failureThreshold: 3,
        },
        volumeMounts: [{ name: 'config', mountPath: '/etc/redis', readOnly: true }],
        resources: { custom: props.settings.resources, defaults: resources(100, 256, 512) },
        writablePaths: [
          { volume: 'data', mountPath: '/data', sizeMi: 64 },
          { volume: 'run', mountPath: '/run/redis', sizeMi: 1, inMemory: true },
          { volume: 'tmp', mountPath: '/tmp', sizeMi: 64 },
        ],
      }],
      volumes: [{ name: 'config', configMap: { name } }],
      podAnnotations: { 'checksum/config': sha256(REDIS_CONF) },
      servicePorts: [{ name: 'redis', port: REDIS_PORT, targetPort: 'redis', protocol: 'TCP' }],
      networkPort: NetworkPort.tcp(REDIS_PORT),
      strategy: { type: 'Recreate' },
    });
    this.host = name;
  }
}
