/**
 * The one place for pod and container security defaults. Components describe what they run and where
 * the process writes; this module turns that into hardened Kubernetes specs (wire format).
 */
import { Size } from 'cdk8s';
import { ContainerResources, Cpu } from 'cdk8s-plus-27';
import { apply, isExpr, OpDef, Val } from '../expr/core';
import { add, concat, isSet, mapChoice, not } from '../expr/ops';
import { items, NonEmpty, nonEmptyList, nonEmptyMap, nonEmptyValue, spread, template, when } from '../expr/tree';

/** The user and group an image's process runs as (the group also owns mounted volumes). */
export interface RunAsIdentity {
  /** UID of the process. */
  readonly user: number;
  /** Primary GID of the process, also the pod's fsGroup. */
  readonly group: number;
}

/** A {@link RunAsIdentity} the constructs compute with: literals, or value references in the chart. */
export interface ProcessIdentity {
  /** runAsUser. */
  readonly user: Val<number>;
  /** runAsGroup and fsGroup. */
  readonly group: Val<number>;
}

/** The identities the images run as. */
export class ImageIdentity {
  /**
   * apache/airflow: user `airflow` (50000) with primary group 0 ("root" group, no privileges), so the image
   * also works under arbitrary UIDs (OpenShift).
   * @see https://airflow.apache.org/docs/docker-stack/entrypoint.html#allowing-arbitrary-user-to-run-the-container
   */
  public static readonly AIRFLOW: RunAsIdentity = { user: 50000, group: 0 };
  /**
   * postgres (Debian variant): 10001:10001, not the image's own `postgres` (999), which is a system UID that may
   * exist on the node. The image runs under any UID (its entrypoint fakes the passwd entry initdb needs with
   * nss_wrapper, in /tmp); the data directory it creates belongs to that UID.
   * @see https://github.com/docker-library/docs/blob/master/postgres/README.md#arbitrary---user-notes
   */
  public static readonly POSTGRES: RunAsIdentity = { user: 10001, group: 10001 };
  /**
   * redis (Debian variant): 10002:10002, not the image's own `redis` (999). Started by our own command (not the
   * image entrypoint), it needs no passwd entry and writes only to its emptyDirs.
   */
  public static readonly REDIS: RunAsIdentity = { user: 10002, group: 10002 };
  /**
   * baobabsoluciones/cornflow: 10003:10003 (the image runs as root by default). Cornflow and gunicorn, started by the
   * chart's own commands, write only to /tmp (an emptyDir); Python's bytecode cache is off.
   */
  public static readonly CORNFLOW: RunAsIdentity = { user: 10003, group: 10003 };
  /**
   * prometheus/statsd-exporter: `nobody` (65534:65534), the image's own user; it writes nothing.
   * @see https://github.com/prometheus/statsd_exporter/blob/master/Dockerfile
   */
  public static readonly STATSD_EXPORTER: RunAsIdentity = { user: 65534, group: 65534 };
}

/** A path the process writes, backed by an emptyDir (or a named volume of the pod). */
export interface WritablePath {
  /** Volume name; containers of one pod that name the same volume share it. */
  readonly volume: string;
  /** Where it is mounted. */
  readonly mountPath: string;
  /**
   * Size limit of the emptyDir in MiB.
   * @default 256
   */
  readonly sizeMi?: Val<number>;
  /**
   * The volume is declared elsewhere in the pod (e.g. a PersistentVolumeClaim template): mount it only.
   * @default false
   */
  readonly external?: boolean;
  /**
   * Back the emptyDir with memory (tmpfs), for files that must never touch a disk.
   * @default false
   */
  readonly inMemory?: boolean;
}

/** Switches that relax the defaults; each is an explicit, documented chart prop. */
export interface SecurityRelaxations {
  /**
   * Let containers write to their root filesystem.
   * @default false
   */
  readonly writableRootFilesystem?: boolean;
}

/** The hardened pod-level security context of an image's identity. */
export const podSecurityContext = template<{ user: Val<number>; group: Val<number> }>({
  name: 'airflow.podSecurityContext',
  doc: 'The pod security context: non-root with the image\'s own user and group, seccomp RuntimeDefault.',
  kind: 'map',
  params: { user: 'int', group: 'int' },
  body: (p) => ({
    runAsNonRoot: true,
    runAsUser: p.user,
    runAsGroup: p.group,
    fsGroup: p.group,
    fsGroupChangePolicy: 'OnRootMismatch',
    seccompProfile: { type: 'RuntimeDefault' },
  }),
});

/**
 * The security settings of one release: whether the root filesystem may be written (a relaxation), and the
 * container security context that follows from it.
 */
export class PodSecurity {
  /** The hardened container-level security context (repeated per container, as scanners check it there). */
  public readonly containerSecurityContext: (id: ProcessIdentity) => unknown;

  constructor(public readonly writableRootFilesystem: Val<boolean>) {
    const t = template<{ user: Val<number>; group: Val<number> }>({
      name: 'airflow.containerSecurityContext',
      doc: 'The container security context: no privilege escalation, no capabilities, a read-only root unless relaxed.',
      kind: 'map',
      params: { user: 'int', group: 'int' },
      body: (p) => ({
        runAsNonRoot: true,
        runAsUser: p.user,
        runAsGroup: p.group,
        allowPrivilegeEscalation: false,
        privileged: false,
        readOnlyRootFilesystem: not(writableRootFilesystem),
        capabilities: { drop: ['ALL'] },
        seccompProfile: { type: 'RuntimeDefault' },
      }),
    });
    this.containerSecurityContext = (id) => t({ user: id.user, group: id.group });
  }
}

/** Renders typed resources to wire format, validating them; every container must have CPU and memory requests and a memory limit. */
export function renderResources(prop: string, r: ContainerResources): Record<string, Record<string, string>> {
  const requests: Record<string, string> = {};
  const limits: Record<string, string> = {};
  if (!r.cpu?.request) throw new Error(`${prop}.cpu.request is required (every container declares a CPU request); e.g. Cpu.millis(100)`);
  if (!r.memory?.request) throw new Error(`${prop}.memory.request is required; e.g. Size.mebibytes(256)`);
  if (!r.memory?.limit) throw new Error(`${prop}.memory.limit is required (an unbounded container can starve its node); e.g. Size.gibibytes(1)`);
  // From plain JavaScript anything can arrive here: say what is expected instead of failing inside cdk8s.
  const size = (key: string, v: unknown): number => {
    if (typeof (v as Size | undefined)?.toMebibytes !== 'function') {
      throw new Error(`${prop}.${key} must be a cdk8s Size (e.g. Size.mebibytes(512) or Size.gibibytes(2)), got ${JSON.stringify(v)}`);
    }
    return (v as Size).toMebibytes();
  };
  const cpu = (key: string, v: unknown): string => {
    const amount = (v as Cpu | undefined)?.amount;
    if (typeof amount !== 'string') throw new Error(`${prop}.${key} must be a cdk8s-plus Cpu (e.g. Cpu.millis(500) or Cpu.units(2)), got ${JSON.stringify(v)}`);
    if (!/^(\d+(\.\d+)?|\.\d+)m?$/.test(amount) || Number(amount.replace(/m$/, '')) <= 0) {
      throw new Error(`${prop}.${key} must be a positive CPU amount, got '${amount}'; e.g. Cpu.millis(500)`);
    }
    return amount;
  };
  const memReq = size('memory.request', r.memory.request);
  const memLim = size('memory.limit', r.memory.limit);
  if (memReq <= 0) throw new Error(`${prop}.memory.request must be positive, got ${memReq}Mi`);
  if (memLim < memReq) {
    throw new Error(`${prop}.memory.limit (${memLim}Mi) must be at least memory.request (${memReq}Mi)`);
  }
  requests.cpu = cpu('cpu.request', r.cpu.request);
  requests.memory = `${memReq}Mi`;
  limits.memory = `${memLim}Mi`;
  if (r.cpu.limit) limits.cpu = cpu('cpu.limit', r.cpu.limit);
  if (r.ephemeralStorage?.request) requests['ephemeral-storage'] = `${size('ephemeralStorage.request', r.ephemeralStorage.request)}Mi`;
  if (r.ephemeralStorage?.limit) limits['ephemeral-storage'] = `${size('ephemeralStorage.limit', r.ephemeralStorage.limit)}Mi`;
  return { requests, limits };
}

/** Default CPU and memory of a container. */
export interface ResourceDefaults {
  readonly cpu: Val<string>;
  readonly memoryRequestMi: Val<number>;
  readonly memoryLimitMi: Val<number>;
}

/**
 * A container's resources: the user's (wire format; in a chart, the values map, where empty means "the default"),
 * or the component default with ephemeral storage sized from the container's emptyDirs.
 */
export interface ResourcesSpec {
  readonly custom?: Val<Record<string, unknown>>;
  readonly defaults: ResourceDefaults;
}

/** What a component says about one container; security fields are added here, never by the component. */
export interface ContainerSpec {
  readonly name: string;
  readonly image: Val<string>;
  readonly imagePullPolicy?: Val<string>;
  readonly command?: Val<string>[];
  readonly args?: unknown[];
  readonly env?: unknown[];
  readonly ports?: unknown[];
  readonly startupProbe?: unknown;
  readonly livenessProbe?: unknown;
  readonly readinessProbe?: unknown;
  readonly volumeMounts?: unknown[];
  readonly resources: ResourcesSpec;
  /** Every path the process writes. */
  readonly writablePaths: WritablePath[];
}

/** What a component says about its pod. */
export interface PodSpecInput {
  readonly identity: ProcessIdentity;
  readonly serviceAccountName: Val<string>;
  /** Mount the service-account token: only for components that call the Kubernetes API. */
  readonly kubernetesApiAccess: Val<boolean>;
  readonly containers: ContainerSpec[];
  readonly initContainers?: ContainerSpec[];
  /** Volumes other than the writable emptyDirs (config, secrets, PVCs, user volumes). */
  readonly volumes?: unknown[];
  readonly security: PodSecurity;
  readonly restartPolicy?: string;
  readonly terminationGracePeriodSeconds?: Val<number>;
  /** `[{ name }]`. */
  readonly imagePullSecrets?: Val<{ name: string }[]>;
  readonly nodeSelector?: Val<Record<string, string>>;
  readonly tolerations?: Val<unknown[]>;
  readonly affinity?: unknown;
  readonly topologySpreadConstraints?: Val<unknown[]>;
  readonly priorityClassName?: Val<string>;
  /** The user's sidecars (wire format): appended after the component's containers, with the chart's security context. */
  readonly extraContainers?: Val<unknown[]>;
  /** The user's init containers (wire format): run after the component's, with the chart's security context. */
  readonly extraInitContainers?: Val<unknown[]>;
}

/**
 * The user's extra containers with the chart's container security context in place of any of their own: as the pod's
 * user and group, no privilege escalation, no capabilities, RuntimeDefault seccomp, a read-only root unless relaxed.
 */
const HARDENED_CONTAINERS: OpDef = {
  name: 'hardenedContainers',
  kind: 'list',
  yamlText: true,
  evaluate: (containers: Record<string, unknown>[] | undefined, user: number, group: number, writableRoot: boolean) => (containers ?? []).map((c) => ({
    ...c,
    securityContext: {
      runAsNonRoot: true, runAsUser: user, runAsGroup: group, allowPrivilegeEscalation: false, privileged: false,
      readOnlyRootFilesystem: !writableRoot, capabilities: { drop: ['ALL'] }, seccompProfile: { type: 'RuntimeDefault' },
    },
  })),
  // Two lines (an action may span lines): the operands are long references into the values.
  go: ([containers, user, group, writableRoot], operand) => `include "airflow.hardenedContainers" (dict "containers" ${operand(containers)}\n`
    + `          "user" ${operand(user)} "group" ${operand(group)} "writableRoot" ${operand(writableRoot)})`,
  defines: {
    'airflow.hardenedContainers': [
      '{{- /*',
      'The user\'s extra containers (.containers), each with the chart\'s container security context instead of its own:',
      'as the pod\'s user and group, no privilege escalation, no capabilities, RuntimeDefault seccomp, and a read-only',
      'root unless security.writableRootFilesystem (.writableRoot). Prints nothing when there are none.',
      '*/ -}}',
      '{{- define "airflow.hardenedContainers" -}}',
      '{{- $context := dict "runAsNonRoot" true "runAsUser" .user "runAsGroup" .group "allowPrivilegeEscalation" false "privileged" false }}',
      '{{- $_ := set $context "readOnlyRootFilesystem" (not .writableRoot) }}',
      '{{- $_ = set $context "capabilities" (dict "drop" (list "ALL")) }}',
      '{{- $_ = set $context "seccompProfile" (dict "type" "RuntimeDefault") }}',
      '{{- $containers := list }}',
      '{{- range .containers }}',
      '{{- $containers = append $containers (merge (dict "securityContext" $context) (omit . "securityContext")) }}',
      '{{- end }}',
      '{{- with $containers }}{{ toYaml . }}{{ end }}',
      '{{- end }}',
    ].join('\n'),
  },
};

/** Extra containers with the chart's security context ({@link HARDENED_CONTAINERS}) as a given user and group. */
export function hardenExtraContainers(list: Val<unknown[]>, user: Val<number>, group: Val<number>, writableRoot: Val<boolean>): Val<unknown[]> {
  return apply<unknown[]>(HARDENED_CONTAINERS, [list, user, group, writableRoot]);
}

/** The user's extra containers, hardened as the pod's identity; undefined when there is no list at all. */
function hardenedContainers(list: Val<unknown[]> | undefined, input: PodSpecInput): Val<unknown[]> | undefined {
  if (list === undefined) return undefined;
  return hardenExtraContainers(list, input.identity.user, input.identity.group, input.security.writableRootFilesystem);
}

const DEFAULT_EMPTYDIR_MI = 256;
/** Ephemeral-storage request of every container unless its resources say otherwise. */
const EPHEMERAL_STORAGE_REQUEST_MI = 64;
/** Beyond its disk-backed emptyDirs, a container writes only its logs (rotated by the kubelet) with a read-only root. */
const EPHEMERAL_STORAGE_HEADROOM_MI = 256;
/** With a writable root filesystem (an explicit relaxation) the container layer grows too. */
const EPHEMERAL_STORAGE_HEADROOM_WRITABLE_ROOT_MI = Size.gibibytes(1).toMebibytes();

/**
 * Default ephemeral storage of a container in MiB: a small request, and a limit that covers the disk-backed emptyDirs
 * it mounts plus headroom for logs. Without a limit one runaway process (a task filling /tmp) can fill the node's disk
 * and get every pod on it evicted; with it, only the offending pod is evicted.
 * @see https://kubernetes.io/docs/concepts/configuration/manage-resources-containers/#local-ephemeral-storage
 */
export function defaultEphemeralStorageMi(writablePaths: WritablePath[], writableRoot: boolean): { request: number; limit: Val<number> } {
  const headroom = writableRoot ? EPHEMERAL_STORAGE_HEADROOM_WRITABLE_ROOT_MI : EPHEMERAL_STORAGE_HEADROOM_MI;
  const sizes = writablePaths.filter((w) => !w.external && !w.inMemory).map((w) => w.sizeMi ?? DEFAULT_EMPTYDIR_MI);
  return { request: EPHEMERAL_STORAGE_REQUEST_MI, limit: add(...sizes, headroom) };
}

/** The default resources of a container, in wire format (the ephemeral-storage limit per root filesystem setting). */
export function defaultResources(d: ResourceDefaults, writablePaths: WritablePath[], writableRoot: Val<boolean>): Record<string, unknown> {
  const mi = (n: Val<number>) => concat(n, 'Mi');
  const limit = (writable: boolean) => mi(defaultEphemeralStorageMi(writablePaths, writable).limit);
  return {
    requests: { 'cpu': d.cpu, 'memory': mapChoice(d.memoryRequestMi, mi), 'ephemeral-storage': mi(EPHEMERAL_STORAGE_REQUEST_MI) },
    limits: { 'memory': mapChoice(d.memoryLimitMi, mi), 'ephemeral-storage': when(writableRoot, limit(true), limit(false)) },
  };
}

function resourcesOf(c: ContainerSpec, writableRoot: Val<boolean>): unknown {
  const defaults = defaultResources(c.resources.defaults, c.writablePaths, writableRoot);
  const custom = c.resources.custom;
  if (custom === undefined) return defaults;
  if (isExpr(custom)) return when(new NonEmpty(custom), custom as unknown, defaults);
  // TypeScript resources without ephemeral storage get the default one (the values schema requires it).
  const req = (custom.requests ?? {}) as Record<string, unknown>;
  const lim = (custom.limits ?? {}) as Record<string, unknown>;
  if (req['ephemeral-storage'] === undefined && lim['ephemeral-storage'] === undefined) {
    const d = defaults as { requests: Record<string, unknown>; limits: Record<string, unknown> };
    return { requests: { ...req, 'ephemeral-storage': d.requests['ephemeral-storage'] }, limits: { ...lim, 'ephemeral-storage': d.limits['ephemeral-storage'] } };
  }
  return custom;
}

/** Builds a hardened PodSpec (wire format). */
export function securePodSpec(input: PodSpecInput): Record<string, unknown> {
  const emptyDirs = new Map<string, unknown>();
  const harden = (c: ContainerSpec): Record<string, unknown> => {
    const mounts = items<unknown>(...(c.volumeMounts ?? []));
    for (const w of c.writablePaths) {
      mounts.push({ name: w.volume, mountPath: w.mountPath });
      if (!w.external && !emptyDirs.has(w.volume)) {
        emptyDirs.set(w.volume, { name: w.volume, emptyDir: { medium: w.inMemory ? 'Memory' : undefined, sizeLimit: concat(w.sizeMi ?? DEFAULT_EMPTYDIR_MI, 'Mi') } });
      }
    }
    return {
      name: c.name,
      image: c.image,
      imagePullPolicy: c.imagePullPolicy ?? 'IfNotPresent',
      command: c.command,
      args: c.args,
      env: c.env,
      ports: c.ports,
      startupProbe: c.startupProbe,
      livenessProbe: c.livenessProbe,
      readinessProbe: c.readinessProbe,
      resources: resourcesOf(c, input.security.writableRootFilesystem),
      securityContext: input.security.containerSecurityContext(input.identity),
      volumeMounts: mounts,
    };
  };
  // The main containers first: a volume they share with an init container gets their size (the scheduler's task logs
  // with LocalExecutor live in the volume its init container also mounts, with the init container's smaller size).
  const extraInit = hardenedContainers(input.extraInitContainers, input);
  const containers = items(...input.containers.map(harden), spread(hardenedContainers(input.extraContainers, input)));
  const own = (input.initContainers ?? []).map(harden);
  const initContainers = own.length ? nonEmptyList(items(...own, spread(extraInit))) : nonEmptyValue(extraInit);
  const volumes = items<unknown>(...emptyDirs.values(), ...(input.volumes ?? []));
  return {
    serviceAccountName: input.serviceAccountName,
    automountServiceAccountToken: input.kubernetesApiAccess,
    enableServiceLinks: false,
    securityContext: podSecurityContext({ user: input.identity.user, group: input.identity.group }),
    restartPolicy: input.restartPolicy,
    terminationGracePeriodSeconds: input.terminationGracePeriodSeconds,
    imagePullSecrets: input.imagePullSecrets === undefined ? undefined : nonEmptyValue(input.imagePullSecrets),
    nodeSelector: nonEmptyMap(input.nodeSelector),
    tolerations: nonEmptyValue(input.tolerations),
    affinity: input.affinity,
    topologySpreadConstraints: nonEmptyValue(input.topologySpreadConstraints),
    priorityClassName: input.priorityClassName === undefined ? undefined : when(isSet(input.priorityClassName), input.priorityClassName),
    initContainers,
    containers,
    volumes: nonEmptyList(volumes),
  };
}
