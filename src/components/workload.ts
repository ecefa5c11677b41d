import { ApiObject, Duration } from 'cdk8s';
import { ContainerResources, Cpu, k8s } from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { apply, OpDef, Val } from '../expr/core';
import { gt, mapChoice, str } from '../expr/ops';
import { items, kubeObject, mapWith, nonEmptyMap, scoped, spread } from '../expr/tree';
import { Connections, INetworkEndpoint, NetworkPort } from '../security/network';
import { ContainerSpec, PodSpecInput, renderResources, ResourceDefaults, securePodSpec } from '../security/pod-security';
import { serviceAccount } from '../security/rbac';
import { AirflowRelease, ImageSpec } from './release';

/** Scheduling and customization options every component accepts. */
export interface WorkloadOptions {
  /**
   * CPU and memory. CPU and memory requests and a memory limit are required when given.
   * @default - per component: README.md "Default resources" (e.g. api-server cpu 250m, memory 1Gi, limit 2Gi)
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
   * Extra pod annotations (`checksum/*` are the chart's).
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
  /**
   * Sidecar containers added to each pod, after the component's own. They get the chart's container security context
   * (the pod's user and group, read-only root, no privilege escalation, all capabilities dropped, RuntimeDefault
   * seccomp) in place of any of their own, and must declare resources: CPU, memory and ephemeral-storage requests,
   * memory and ephemeral-storage limits. Mount `extraVolumes` (e.g. an emptyDir) where they write; open their
   * network edges with `workload.connections`.
   * @default - none
   */
  readonly extraContainers?: k8s.Container[];
  /**
   * Init containers run after the component's own, hardened and sized like {@link extraContainers}.
   * @default - none
   */
  readonly extraInitContainers?: k8s.Container[];
}

/**
 * A component's scheduling and customization settings as the constructs compute with them: Kubernetes objects in
 * wire format, and (in a chart) references into the component's values.
 */
export interface WorkloadSettings {
  /** Replica count; undefined leaves it to an autoscaler. */
  readonly replicas: Val<number> | undefined;
  /** The user's resources (wire format); a chart's values map is empty for "the default". */
  readonly resources?: Val<Record<string, unknown>>;
  readonly nodeSelector: Val<Record<string, string>>;
  readonly tolerations: Val<unknown[]>;
  readonly affinity: Val<Record<string, unknown>>;
  readonly topologySpreadConstraints: Val<unknown[]>;
  readonly priorityClassName: Val<string>;
  readonly podAnnotations: Val<Record<string, string>>;
  readonly podLabels: Val<Record<string, string>>;
  readonly extraEnv: Val<unknown[]>;
  readonly extraVolumes: Val<unknown[]>;
  readonly extraVolumeMounts: Val<unknown[]>;
  readonly extraContainers: Val<unknown[]>;
  readonly extraInitContainers: Val<unknown[]>;
}

/** Convenience for resource defaults: CPU request in millicores, memory request and limit in MiB. */
export function resources(cpuMillis: Val<number>, memoryRequestMi: Val<number>, memoryLimitMi: Val<number>): ResourceDefaults {
  return { cpu: mapChoice(cpuMillis, (m) => (typeof m === 'number' ? Cpu.millis(m).amount : str`${m}m`)), memoryRequestMi, memoryLimitMi };
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
const RESERVED_ANNOTATION = /^checksum\//;

/**
 * A component's settings from its TypeScript options (validated; Kubernetes objects converted to wire format).
 * `selector` fills the labelSelector of topology spread constraints that omit it.
 */
export function workloadSettings(prop: string, o: WorkloadOptions, replicas: number | undefined, selector: Record<string, string>): WorkloadSettings {
  for (const k of Object.keys(o.podLabels ?? {})) {
    if (RESERVED_LABEL.test(k)) throw new Error(`${prop}.podLabels may not set '${k}': the chart owns app.kubernetes.io labels`);
  }
  for (const k of Object.keys(o.podAnnotations ?? {})) {
    if (RESERVED_ANNOTATION.test(k)) throw new Error(`${prop}.podAnnotations may not set '${k}': the chart owns checksum/* annotations (they roll pods when configuration changes)`);
  }
  return {
    replicas,
    resources: o.resources ? renderResources(`${prop}.resources`, o.resources) : undefined,
    nodeSelector: o.nodeSelector ?? {},
    tolerations: (o.tolerations ?? []).map((t) => k8s.toJson_Toleration(t)),
    affinity: (o.affinity ? k8s.toJson_Affinity(o.affinity) : undefined) ?? {},
    topologySpreadConstraints: (o.topologySpreadConstraints ?? [])
      .map((t) => k8s.toJson_TopologySpreadConstraint({ ...t, labelSelector: t.labelSelector ?? { matchLabels: selector } })),
    priorityClassName: o.priorityClassName ?? '',
    podAnnotations: o.podAnnotations ?? {},
    podLabels: o.podLabels ?? {},
    extraEnv: (o.extraEnv ?? []).map((e) => k8s.toJson_EnvVar(e)),
    extraVolumes: (o.extraVolumes ?? []).map((v) => k8s.toJson_Volume(v)),
    extraVolumeMounts: (o.extraVolumeMounts ?? []).map((m) => k8s.toJson_VolumeMount(m)),
    extraContainers: extraContainers(`${prop}.extraContainers`, o.extraContainers),
    extraInitContainers: extraContainers(`${prop}.extraInitContainers`, o.extraInitContainers),
  };
}

/** Resource keys every extra container must set (the chart's schema requires the same). */
const EXTRA_CONTAINER_RESOURCES = { requests: ['cpu', 'memory', 'ephemeral-storage'], limits: ['memory', 'ephemeral-storage'] };

/** Extra containers in wire format, checked: a name, an image, resources, and no security context of their own. */
function extraContainers(prop: string, list: k8s.Container[] | undefined): Record<string, unknown>[] {
  return (list ?? []).map((c, i) => {
    const at = `${prop}[${i}]`;
    if (!c?.name) throw new Error(`${at} needs a name`);
    if (!c.image) throw new Error(`${at} (${c.name}) needs an image`);
    if (c.securityContext) {
      throw new Error(`${at} (${c.name}) may not set securityContext: the chart sets it (non-root as the pod's user, read-only root, `
        + 'no privilege escalation, no capabilities); mount an emptyDir from extraVolumes where the container writes');
    }
    const json = k8s.toJson_Container(c) as Record<string, any>;
    for (const [kind, keys] of Object.entries(EXTRA_CONTAINER_RESOURCES)) {
      for (const key of keys) {
        if (json.resources?.[kind]?.[key] === undefined) {
          throw new Error(`${at} (${c.name}) needs resources.${kind}['${key}'], e.g. k8s.Quantity.fromString('${key === 'cpu' ? '100m' : '128Mi'}'): `
            + 'every container of the release declares its requests and memory and ephemeral-storage limits');
        }
      }
    }
    return json;
  });
}

const SPREAD_ACROSS_NODES: OpDef = {
  name: 'affinity',
  kind: 'map',
  yamlText: true,
  evaluate: (w: { affinity: Record<string, unknown>; replicas: number | undefined }, _component: string, selector: Record<string, string>) => {
    const affinity = w.affinity ?? {};
    if ((w.replicas !== undefined && w.replicas !== null && !(w.replicas > 1)) || 'podAntiAffinity' in affinity) return affinity;
    return {
      ...affinity,
      podAntiAffinity: {
        preferredDuringSchedulingIgnoredDuringExecution: [{
          weight: 100,
          podAffinityTerm: { topologyKey: 'kubernetes.io/hostname', labelSelector: { matchLabels: selector } },
        }],
      },
    };
  },
  go: ([w, component], operand, ctx) => `include "airflow.affinity" (dict "root" ${ctx.root} "values" ${operand(w)} "component" ${operand(component)})`,
  defines: {
    'airflow.affinity': [
      '{{- /*',
      'The affinity of a component (.values: its values, .component: its name): the user\'s affinity, plus a preferred',
      'pod anti-affinity across nodes when it runs more than one replica and the user set no podAntiAffinity, so that',
      'losing a node takes down one replica, not all. Prints nothing when there is none.',
      '*/ -}}',
      '{{- define "airflow.affinity" -}}',
      '{{- $affinity := deepCopy (.values.affinity | default dict) }}',
      '{{- if and (gt (int64 .values.replicas) 1) (not (hasKey $affinity "podAntiAffinity")) }}',
      '{{- $selector := include "airflow.selectorLabels" (dict "root" .root "component" .component) | fromYaml }}',
      '{{- $term := dict "topologyKey" "kubernetes.io/hostname" "labelSelector" (dict "matchLabels" $selector) }}',
      '{{- $preferred := list (dict "weight" 100 "podAffinityTerm" $term) }}',
      '{{- $_ := set $affinity "podAntiAffinity" (dict "preferredDuringSchedulingIgnoredDuringExecution" $preferred) }}',
      '{{- end }}',
      '{{- with $affinity }}{{ toYaml . }}{{ end }}',
      '{{- end }}',
    ].join('\n'),
  },
};

/**
 * Adds a preferred (soft) pod anti-affinity on `kubernetes.io/hostname` for a component that runs, or may be scaled
 * to, more than one replica, so that losing one node does not take down every replica; a single-node cluster still
 * schedules them all. A user-given `affinity.podAntiAffinity` is kept as it is.
 * @see https://kubernetes.io/docs/concepts/scheduling-eviction/assign-pod-node/#inter-pod-affinity-and-anti-affinity
 */
export function spreadAcrossNodes(values: Val<{ affinity: Record<string, unknown>; replicas: number | undefined }>, component: string, selector: unknown): Val<Record<string, unknown>> {
  return apply(SPREAD_ACROSS_NODES, [values, component, selector]);
}

/** What a component declares; {@link Workload} turns it into ServiceAccount, workload, Service, PDB, policy. */
export interface WorkloadSpec extends Omit<PodSpecInput, 'serviceAccountName' | 'imagePullSecrets' | 'security'> {
  /** Component name, e.g. `scheduler`: names and labels derive from it. */
  readonly component: string;
  readonly release: AirflowRelease;
  readonly settings: WorkloadSettings;
  /**
   * The component's values (chart) or its affinity and replicas (TypeScript), for the affinity helper.
   */
  readonly affinityInput: Val<{ affinity: Record<string, unknown>; replicas: number | undefined }>;
  /** The image whose version the labels carry. */
  readonly image: ImageSpec;
  readonly kind: 'Deployment' | 'StatefulSet';
  /** Service ports; a ClusterIP Service (headless for a StatefulSet) is made when given. */
  readonly servicePorts?: unknown[];
  /** The port peers reach this component on. */
  readonly networkPort?: NetworkPort;
  readonly podAnnotations?: Record<string, unknown>;
  readonly volumeClaimTemplates?: unknown[];
  readonly statefulSetRetention?: unknown;
  readonly strategy?: unknown;
}

/**
 * The shape every long-running component shares: its own ServiceAccount, a hardened workload (construct id
 * `Resource`), an optional Service, a PodDisruptionBudget when it runs more than one replica, and a
 * NetworkPolicy built from its declared connections.
 */
export class Workload extends Construct implements INetworkEndpoint {
  /** The Deployment or StatefulSet (construct id `Resource`), for `ApiObject.of(...).addJsonPatch(...)`. */
  public readonly resource: ApiObject;
  /** Its ClusterIP Service, when it serves a port. */
  public readonly service?: ApiObject;
  /** Its network edges: every allowed peer becomes a NetworkPolicy rule on both sides. */
  public readonly connections: Connections;
  /**
   * Object name, `<release>-<component>`.
   * TypeScript only (a value expression in the emitted chart).
   * @jsii ignore
   */
  public readonly name: Val<string>;

  /** @internal Built by the chart (the constructor is private so the jsii languages see no initializer). */
  public static _create(scope: Construct, id: string, spec: WorkloadSpec): Workload {
    return new Workload(scope, id, spec);
  }

  private constructor(scope: Construct, id: string, spec: WorkloadSpec) {
    super(scope, id);
    const r = spec.release;
    const o = spec.settings;
    this.name = r.resourceName(spec.component);
    const labels = r.labels(spec.component, spec.image);
    const selector = r.selectorLabels(spec.component);

    serviceAccount(this, this.name, labels);

    const main = spec.containers[0];
    const containers: ContainerSpec[] = [
      {
        ...main,
        env: items(...(main.env ?? []), spread(o.extraEnv)),
        volumeMounts: items(...(main.volumeMounts ?? []), spread(o.extraVolumeMounts)),
      },
      ...spec.containers.slice(1),
    ];
    const podSpec = securePodSpec({
      ...spec,
      containers,
      volumes: items(...(spec.volumes ?? []), spread(o.extraVolumes)),
      serviceAccountName: this.name,
      imagePullSecrets: r.imagePullSecrets,
      security: r.security,
      nodeSelector: o.nodeSelector,
      tolerations: o.tolerations,
      affinity: nonEmptyMap(spreadAcrossNodes(spec.affinityInput, spec.component, selector)),
      topologySpreadConstraints: o.topologySpreadConstraints,
      priorityClassName: o.priorityClassName,
      extraContainers: o.extraContainers,
      extraInitContainers: o.extraInitContainers,
    });
    const own = spec.podAnnotations ?? {};
    const template = {
      metadata: {
        labels: mapWith(r.podLabels(spec.component, spec.image), {}, o.podLabels),
        // The chart's annotations (checksums) and the user's, which may not set checksum/*.
        annotations: Object.keys(own).length ? mapWith(undefined, own, o.podAnnotations) : nonEmptyMap(o.podAnnotations),
      },
      spec: podSpec,
    };

    if (spec.servicePorts) {
      this.service = kubeObject(this, 'Service', {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: this.name, labels },
        spec: {
          type: 'ClusterIP',
          clusterIP: spec.kind === 'StatefulSet' ? 'None' : undefined,
          selector,
          ports: spec.servicePorts,
        },
      });
    }

    if (spec.kind === 'Deployment') {
      this.resource = kubeObject(this, 'Resource', {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: this.name, labels },
        spec: {
          replicas: o.replicas,
          revisionHistoryLimit: 5,
          selector: { matchLabels: selector },
          strategy: spec.strategy,
          template,
        },
      });
    } else {
      this.resource = kubeObject(this, 'Resource', {
        apiVersion: 'apps/v1',
        kind: 'StatefulSet',
        metadata: { name: this.name, labels },
        spec: {
          replicas: o.replicas,
          revisionHistoryLimit: 5,
          serviceName: this.name,
          selector: { matchLabels: selector },
          template,
          volumeClaimTemplates: spec.volumeClaimTemplates,
          persistentVolumeClaimRetentionPolicy: spec.statefulSetRetention,
        },
      });
    }

    if (o.replicas !== undefined) {
      scoped(gt(o.replicas, 1), () => kubeObject(this, 'PodDisruptionBudget', {
        apiVersion: 'policy/v1',
        kind: 'PodDisruptionBudget',
        metadata: { name: this.name, labels },
        spec: { maxUnavailable: 1, selector: { matchLabels: selector } },
      }));
    }

    this.connections = Connections._create(this, 'NetworkPolicy', {
      name: this.name,
      labels,
      podLabels: selector,
      defaultPort: spec.networkPort,
      settings: r.network,
    });
  }
}

