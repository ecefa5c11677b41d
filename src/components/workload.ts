import { ApiObject, Duration, Size } from 'cdk8s';
import { ContainerResources, Cpu, k8s } from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { Connections, INetworkEndpoint, NetworkPort } from '../security/network';
import { ContainerSpec, PodSpecInput, securePodSpec } from '../security/pod-security';
import { serviceAccount } from '../security/rbac';
import { AirflowRelease } from './release';

/** Scheduling and customization options every component accepts. */
export interface WorkloadOptions {
  /**
   * CPU and memory. CPU and memory requests and a memory limit are required when given.
   * @default - per component, see the README
   */
  readonly resources?: ContainerResources;
  /**
   * Node labels the pods must match.
   * @default - none
   */
  readonly nodeSelector?: Record<string, string>;
  /**
   * Tolerations of the pods.
   * @default - none
   */
  readonly tolerations?: k8s.Toleration[];
  /**
   * Affinity of the pods.
   * @default - none
   */
  readonly affinity?: k8s.Affinity;
  /**
   * Topology spread constraints; `labelSelector` may be omitted to select this component's pods.
   * @default - none
   */
  readonly topologySpreadConstraints?: k8s.TopologySpreadConstraint[];
  /**
   * PriorityClass of the pods.
   * @default - none
   */
  readonly priorityClassName?: string;
  /**
   * Extra pod annotations.
   * @default - none
   */
  readonly podAnnotations?: Record<string, string>;
  /**
   * Extra pod labels (may not override the app.kubernetes.io labels).
   * @default - none
   */
  readonly podLabels?: Record<string, string>;
  /**
   * Extra environment variables of the main container (use `valueFrom.secretKeyRef` for secrets).
   * @default - none
   */
  readonly extraEnv?: k8s.EnvVar[];
  /**
   * Extra pod volumes.
   * @default - none
   */
  readonly extraVolumes?: k8s.Volume[];
  /**
   * Extra volume mounts of the main container.
   * @default - none
   */
  readonly extraVolumeMounts?: k8s.VolumeMount[];
}

/** Convenience for resource defaults: CPU request in millicores, memory request and limit in MiB. */
export function resources(cpuMillis: number, memoryRequestMi: number, memoryLimitMi: number): ContainerResources {
  return {
    cpu: { request: Cpu.millis(cpuMillis) },
    memory: { request: Size.mebibytes(memoryRequestMi), limit: Size.mebibytes(memoryLimitMi) },
  };
}

/** Validates a replica count, naming the prop. */
export function validateReplicas(prop: string, value: number | undefined, min: number, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < min) {
    throw new Error(`${prop} must be an integer of at least ${min}, got ${value}; omit it to use the default (${fallback})`);
  }
  return value;
}

/** Validates a duration in whole seconds within a range, naming the prop. */
export function validateSeconds(prop: string, d: Duration | undefined, min: number, max: number, fallback: number): number {
  if (d === undefined) return fallback;
  const s = d.toSeconds();
  if (!Number.isInteger(s) || s < min || s > max) {
    throw new Error(`${prop} must be from ${min}s to ${max}s in whole seconds, got ${s}s; omit it to use the default (${fallback}s)`);
  }
  return s;
}

const RESERVED_LABEL = /^app\.kubernetes\.io\//;

/**
 * Adds a preferred (soft) pod anti-affinity on `kubernetes.io/hostname` for a component that runs, or may be scaled
 * to, more than one replica, so that losing one node does not take down every replica; a single-node cluster still
 * schedules them all. A user-given `affinity.podAntiAffinity` is kept as it is.
 * @see https://kubernetes.io/docs/concepts/scheduling-eviction/assign-pod-node/#inter-pod-affinity-and-anti-affinity
 */
export function spreadAcrossNodes(affinity: k8s.Affinity | undefined, selector: Record<string, string>, replicas: number | undefined): k8s.Affinity | undefined {
  if ((replicas !== undefined && replicas < 2) || affinity?.podAntiAffinity) return affinity;
  return {
    ...affinity,
    podAntiAffinity: {
      preferredDuringSchedulingIgnoredDuringExecution: [{
        weight: 100,
        podAffinityTerm: { topologyKey: 'kubernetes.io/hostname', labelSelector: { matchLabels: selector } },
      }],
    },
  };
}

/** What a component declares; {@link Workload} turns it into ServiceAccount, workload, Service, PDB, policy. */
export interface WorkloadSpec extends Omit<PodSpecInput, 'serviceAccountName' | 'imagePullSecrets'> {
  /** Component name, e.g. `scheduler`: names and labels derive from it. */
  readonly component: string;
  /** Prop path for errors, e.g. `scheduler`. */
  readonly prop: string;
  readonly release: AirflowRelease;
  readonly options: WorkloadOptions;
  readonly version: string;
  readonly kind: 'Deployment' | 'StatefulSet';
  /** Replica count; undefined leaves it to an autoscaler. */
  readonly replicas: number | undefined;
  /** Service ports; a ClusterIP Service (headless for a StatefulSet) is made when given. */
  readonly servicePorts?: k8s.ServicePort[];
  /** The port peers reach this component on. */
  readonly networkPort?: NetworkPort;
  readonly podAnnotations?: Record<string, string>;
  readonly volumeClaimTemplates?: k8s.KubePersistentVolumeClaimProps[];
  readonly statefulSetRetention?: k8s.StatefulSetPersistentVolumeClaimRetentionPolicy;
  readonly strategy?: k8s.DeploymentStrategy;
}

/**
 * The shape every long-running component shares: its own ServiceAccount, a hardened workload (construct id
 * `Resource`), an optional Service, a PodDisruptionBudget when it runs more than one replica, and a
 * NetworkPolicy built from its declared connections.
 */
export class Workload extends Construct implements INetworkEndpoint {
  public readonly resource: ApiObject;
  public readonly service?: k8s.KubeService;
  public readonly connections: Connections;
  public readonly name: string;

  constructor(scope: Construct, id: string, spec: WorkloadSpec) {
    super(scope, id);
    const r = spec.release;
    const o = spec.options;
    this.name = r.resourceName(spec.component);
    const labels = r.labels(spec.component, spec.version);
    const selector = r.selectorLabels(spec.component);
    for (const k of Object.keys(o.podLabels ?? {})) {
      if (RESERVED_LABEL.test(k)) throw new Error(`${spec.prop}.podLabels may not set '${k}': the chart owns app.kubernetes.io labels`);
    }

    serviceAccount(this, this.name, labels);

    const main = spec.containers[0];
    const containers: ContainerSpec[] = [
      {
        ...main,
        env: [...(main.env ?? []), ...(o.extraEnv ?? [])],
        volumeMounts: [...(main.volumeMounts ?? []), ...(o.extraVolumeMounts ?? [])],
      },
      ...spec.containers.slice(1),
    ];
    const podSpec = securePodSpec({
      ...spec,
      containers,
      volumes: [...(spec.volumes ?? []), ...(o.extraVolumes ?? [])],
      serviceAccountName: this.name,
      imagePullSecrets: r.imagePullSecrets,
      relaxations: r.relaxations,
      nodeSelector: o.nodeSelector,
      tolerations: o.tolerations,
      affinity: spreadAcrossNodes(o.affinity, selector, spec.replicas),
      topologySpreadConstraints: o.topologySpreadConstraints?.map((t) => ({ ...t, labelSelector: t.labelSelector ?? { matchLabels: selector } })),
      priorityClassName: o.priorityClassName,
    });
    const annotations = { ...(spec.podAnnotations ?? {}), ...(o.podAnnotations ?? {}) };
    const template: k8s.PodTemplateSpec = {
      metadata: {
        labels: { ...(o.podLabels ?? {}), ...labels },
        annotations: Object.keys(annotations).length ? annotations : undefined,
      },
      spec: podSpec,
    };

    if (spec.servicePorts) {
      this.service = new k8s.KubeService(this, 'Service', {
        metadata: { name: this.name, labels },
        spec: {
          type: 'ClusterIP',
          clusterIp: spec.kind === 'StatefulSet' ? 'None' : undefined,
          selector,
          ports: spec.servicePorts,
        },
      });
    }

    if (spec.kind === 'Deployment') {
      this.resource = new k8s.KubeDeployment(this, 'Resource', {
        metadata: { name: this.name, labels },
        spec: {
          replicas: spec.replicas,
          revisionHistoryLimit: 5,
          selector: { matchLabels: selector },
          strategy: spec.strategy,
          template,
        },
      });
    } else {
      this.resource = new k8s.KubeStatefulSet(this, 'Resource', {
        metadata: { name: this.name, labels },
        spec: {
          replicas: spec.replicas,
          revisionHistoryLimit: 5,
          serviceName: this.name,
          selector: { matchLabels: selector },
          template,
          volumeClaimTemplates: spec.volumeClaimTemplates,
          persistentVolumeClaimRetentionPolicy: spec.statefulSetRetention,
        },
      });
    }

    if (spec.replicas !== undefined && spec.replicas > 1) {
      new k8s.KubePodDisruptionBudget(this, 'PodDisruptionBudget', {
        metadata: { name: this.name, labels },
        spec: { maxUnavailable: k8s.IntOrString.fromNumber(1), selector: { matchLabels: selector } },
      });
    }

    this.connections = new Connections(this, 'NetworkPolicy', {
      name: this.name,
      labels,
      podLabels: selector,
      defaultPort: spec.networkPort,
      settings: r.network,
    });
  }
}
