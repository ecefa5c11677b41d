/**
 * The one place for pod and container security defaults. Components describe what they run and where
 * the process writes; this module turns that into hardened Kubernetes specs.
 */
import { Size } from 'cdk8s';
import { ContainerResources, k8s } from 'cdk8s-plus-27';

/** The user and groups an image's process runs as. */
export interface RunAsIdentity {
  /** UID of the process. */
  readonly user: number;
  /** Primary GID of the process. */
  readonly group: number;
  /** Group that owns mounted volumes. */
  readonly fsGroup: number;
}

/** The real identities of the images we run; each is proven by a test against the image's documentation. */
export class ImageIdentity {
  /**
   * apache/airflow: user `airflow` (50000) with primary group 0 ("root" group, no privileges), so the image
   * also works under arbitrary UIDs (OpenShift).
   * @see https://airflow.apache.org/docs/docker-stack/entrypoint.html#allowing-arbitrary-user-to-run-the-container
   */
  public static readonly AIRFLOW: RunAsIdentity = { user: 50000, group: 0, fsGroup: 0 };
  /**
   * postgres (Debian variant): user and group `postgres`, 999:999.
   * @see https://github.com/docker-library/postgres/blob/master/17/bookworm/Dockerfile
   */
  public static readonly POSTGRES: RunAsIdentity = { user: 999, group: 999, fsGroup: 999 };
  /**
   * redis (Debian variant): user and group `redis`, 999:999.
   * @see https://github.com/docker-library/redis/blob/master/7.4/debian/Dockerfile
   */
  public static readonly REDIS: RunAsIdentity = { user: 999, group: 999, fsGroup: 999 };
}

/** A path the process writes, backed by an emptyDir (or a named volume of the pod). */
export interface WritablePath {
  /** Volume name; containers of one pod that name the same volume share it. */
  readonly volume: string;
  /** Where it is mounted. */
  readonly mountPath: string;
  /**
   * Size limit of the emptyDir.
   * @default Size.mebibytes(256)
   */
  readonly sizeLimit?: Size;
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

/** The hardened pod-level security context. */
export function podSecurityContext(id: RunAsIdentity): k8s.PodSecurityContext {
  return {
    runAsNonRoot: true,
    runAsUser: id.user,
    runAsGroup: id.group,
    fsGroup: id.fsGroup,
    fsGroupChangePolicy: 'OnRootMismatch',
    seccompProfile: { type: 'RuntimeDefault' },
  };
}

/** The hardened container-level security context (repeated per container, as scanners check it there). */
export function containerSecurityContext(id: RunAsIdentity, relax: SecurityRelaxations = {}): k8s.SecurityContext {
  return {
    runAsNonRoot: true,
    runAsUser: id.user,
    runAsGroup: id.group,
    allowPrivilegeEscalation: false,
    privileged: false,
    readOnlyRootFilesystem: !relax.writableRootFilesystem,
    capabilities: { drop: ['ALL'] },
    seccompProfile: { type: 'RuntimeDefault' },
  };
}

/** Renders resources; every container must have CPU and memory requests and a memory limit. */
export function renderResources(prop: string, r: ContainerResources): k8s.ResourceRequirements {
  const requests: Record<string, k8s.Quantity> = {};
  const limits: Record<string, k8s.Quantity> = {};
  if (!r.cpu?.request) throw new Error(`${prop}.cpu.request is required (every container declares a CPU request); e.g. Cpu.millis(100)`);
  if (!r.memory?.request) throw new Error(`${prop}.memory.request is required; e.g. Size.mebibytes(256)`);
  if (!r.memory?.limit) throw new Error(`${prop}.memory.limit is required (an unbounded container can starve its node); e.g. Size.gibibytes(1)`);
  const memReq = r.memory.request.toMebibytes();
  const memLim = r.memory.limit.toMebibytes();
  if (memReq <= 0) throw new Error(`${prop}.memory.request must be positive, got ${memReq}Mi`);
  if (memLim < memReq) {
    throw new Error(`${prop}.memory.limit (${memLim}Mi) must be at least memory.request (${memReq}Mi)`);
  }
  requests.cpu = k8s.Quantity.fromString(r.cpu.request.amount);
  requests.memory = k8s.Quantity.fromString(`${memReq}Mi`);
  limits.memory = k8s.Quantity.fromString(`${memLim}Mi`);
  if (r.cpu.limit) limits.cpu = k8s.Quantity.fromString(r.cpu.limit.amount);
  if (r.ephemeralStorage?.request) requests['ephemeral-storage'] = k8s.Quantity.fromString(`${r.ephemeralStorage.request.toMebibytes()}Mi`);
  if (r.ephemeralStorage?.limit) limits['ephemeral-storage'] = k8s.Quantity.fromString(`${r.ephemeralStorage.limit.toMebibytes()}Mi`);
  return { requests, limits };
}

/** What a component says about one container; security fields are added here, never by the component. */
export interface ContainerSpec extends Omit<k8s.Container, 'securityContext' | 'resources'> {
  /** Resources (validated: CPU and memory requests plus a memory limit). */
  readonly resourceSpec: ContainerResources;
  /** Prop path used in resource errors, e.g. `scheduler.resources`. */
  readonly resourceProp: string;
  /** Every path the process writes. */
  readonly writablePaths: WritablePath[];
}

/** What a component says about its pod. */
export interface PodSpecInput {
  readonly identity: RunAsIdentity;
  readonly serviceAccountName: string;
  /** Mount the service-account token: only for components that call the Kubernetes API. */
  readonly kubernetesApiAccess: boolean;
  readonly containers: ContainerSpec[];
  readonly initContainers?: ContainerSpec[];
  /** Volumes other than the writable emptyDirs (config, secrets, PVCs, user volumes). */
  readonly volumes?: k8s.Volume[];
  readonly relaxations?: SecurityRelaxations;
  readonly restartPolicy?: string;
  readonly terminationGracePeriodSeconds?: number;
  readonly imagePullSecrets?: string[];
  readonly nodeSelector?: Record<string, string>;
  readonly tolerations?: k8s.Toleration[];
  readonly affinity?: k8s.Affinity;
  readonly topologySpreadConstraints?: k8s.TopologySpreadConstraint[];
  readonly priorityClassName?: string;
}

const DEFAULT_EMPTYDIR = Size.mebibytes(256);

/** Ephemeral-storage request of every container unless its resources say otherwise. */
const EPHEMERAL_STORAGE_REQUEST = Size.mebibytes(64);
/** Beyond its disk-backed emptyDirs, a container writes only its logs (rotated by the kubelet) with a read-only root. */
const EPHEMERAL_STORAGE_HEADROOM = Size.mebibytes(256);
/** With a writable root filesystem (an explicit relaxation) the container layer grows too. */
const EPHEMERAL_STORAGE_HEADROOM_WRITABLE_ROOT = Size.gibibytes(1);

/**
 * Default ephemeral storage of a container: a small request, and a limit that covers the disk-backed emptyDirs it
 * mounts plus headroom for logs. Without a limit one runaway process (a task filling /tmp) can fill the node's disk
 * and get every pod on it evicted; with it, only the offending pod is evicted.
 * @see https://kubernetes.io/docs/concepts/configuration/manage-resources-containers/#local-ephemeral-storage
 */
export function defaultEphemeralStorage(writablePaths: WritablePath[], relax: SecurityRelaxations = {}): { request: Size; limit: Size } {
  const headroom = relax.writableRootFilesystem ? EPHEMERAL_STORAGE_HEADROOM_WRITABLE_ROOT : EPHEMERAL_STORAGE_HEADROOM;
  const emptyDirs = writablePaths
    .filter((w) => !w.external && !w.inMemory)
    .reduce((sum, w) => sum + (w.sizeLimit ?? DEFAULT_EMPTYDIR).toMebibytes(), 0);
  return { request: EPHEMERAL_STORAGE_REQUEST, limit: Size.mebibytes(emptyDirs + headroom.toMebibytes()) };
}

/** Builds a hardened PodSpec. */
export function securePodSpec(input: PodSpecInput): k8s.PodSpec {
  const emptyDirs = new Map<string, k8s.Volume>();
  const harden = (c: ContainerSpec): k8s.Container => {
    const { resourceSpec, resourceProp, writablePaths, volumeMounts, ...rest } = c;
    const mounts: k8s.VolumeMount[] = [...(volumeMounts ?? [])];
    for (const w of writablePaths) {
      mounts.push({ name: w.volume, mountPath: w.mountPath });
      if (!w.external && !emptyDirs.has(w.volume)) {
        const size = (w.sizeLimit ?? DEFAULT_EMPTYDIR).toMebibytes();
        emptyDirs.set(w.volume, { name: w.volume, emptyDir: { medium: w.inMemory ? 'Memory' : undefined, sizeLimit: k8s.Quantity.fromString(`${size}Mi`) } });
      }
    }
    return {
      ...rest,
      imagePullPolicy: rest.imagePullPolicy ?? 'IfNotPresent',
      resources: renderResources(resourceProp, {
        ...resourceSpec,
        ephemeralStorage: resourceSpec.ephemeralStorage ?? defaultEphemeralStorage(writablePaths, input.relaxations),
      }),
      securityContext: containerSecurityContext(input.identity, input.relaxations),
      volumeMounts: mounts.length ? mounts : undefined,
    };
  };
  const initContainers = (input.initContainers ?? []).map(harden);
  const containers = input.containers.map(harden);
  const volumes = [...emptyDirs.values(), ...(input.volumes ?? [])];
  return {
    serviceAccountName: input.serviceAccountName,
    automountServiceAccountToken: input.kubernetesApiAccess,
    enableServiceLinks: false,
    securityContext: podSecurityContext(input.identity),
    restartPolicy: input.restartPolicy,
    terminationGracePeriodSeconds: input.terminationGracePeriodSeconds,
    imagePullSecrets: input.imagePullSecrets?.length ? input.imagePullSecrets.map((name) => ({ name })) : undefined,
    nodeSelector: input.nodeSelector && Object.keys(input.nodeSelector).length ? input.nodeSelector : undefined,
    tolerations: input.tolerations?.length ? input.tolerations : undefined,
    affinity: input.affinity,
    topologySpreadConstraints: input.topologySpreadConstraints?.length ? input.topologySpreadConstraints : undefined,
    priorityClassName: input.priorityClassName,
    initContainers: initContainers.length ? initContainers : undefined,
    containers,
    volumes: volumes.length ? volumes : undefined,
  };
}
