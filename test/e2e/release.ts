/**
 * A rendered release (`helm template` of charts/airflow) run as processes on this machine, pod by pod, the way a
 * cluster would run it: Secrets generated for the test (what the secrets Job would write), the Jobs to completion
 * (init containers first), one pod of every Deployment and StatefulSet with its init containers, then its main
 * container polled by its own startup / readiness / liveness probes, in sandboxes (sandbox.ts).
 */
import { randomBytes } from 'crypto';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'fs';
import { createServer } from 'net';
import { tmpdir } from 'os';
import { join, posix } from 'path';
import { Manifest } from '../util';
import { ContainerSpec, E2eTools, httpGet, Mount, Sandbox, tcpConnect } from './sandbox';

export const IMAGE_AIRFLOW_HOME = '/opt/airflow';

/** Result of one probe of one container, kubelet-style. */
export interface ProbeStat {
  readonly kind: 'startup' | 'readiness' | 'liveness';
  readonly handler: string;
  passes: number;
  failures: number;
  /** Longest run of consecutive failures. */
  worstStreak: number;
  /** The kubelet would have restarted the container (startup or liveness failureThreshold reached). */
  killed: boolean;
  lastOutput: string;
}

export interface RunningContainer {
  readonly component: string;
  readonly pod: string;
  readonly container: string;
  /** The container's current run (a new one after each restart). */
  sandbox: Sandbox;
  readonly spec: ContainerSpec;
  readonly command: string;
  readonly isJob: boolean;
  /** The probes of the current run (the kubelet starts them afresh after a restart). */
  probes: ProbeStat[];
  /** When the container first started (ms since the epoch). */
  readonly firstStartedAt: number;
  /** Seconds from the main container's first start to its first passing readiness probe (to start if it has none). */
  readySeconds?: number;
  /** Seconds the init containers took. */
  initSeconds: number;
  /** Times the kubelet restarted it (each for a tolerated cause, see `Release.tolerated`). */
  restarts: number;
  /** Why it stopped for good: an exit or probe kill whose cause is not tolerated, or one restart too many. */
  failure?: string;
}

/**
 * A failure a workload can meet on a first install that Kubernetes absorbs (the kubelet restarts the container, the
 * Job controller starts a new pod) and that is known not to be the chart's fault. The tier retries only these, found
 * in the log of the failed run; any other exit fails the test at once, so a retry never hides a bug.
 */
export interface ToleratedFailure {
  readonly name: string;
  /** Matched against the log of the failed run. */
  readonly pattern: RegExp;
}

/** A container restarted, or a Job pod replaced, for a tolerated cause. */
export interface Restart {
  readonly id: string;
  readonly exit: string;
  readonly cause: string;
  readonly secondsSinceStart: number;
}

/** The test's limit on restarts of one container (the kubelet has none): a cause that repeats is not transient. */
export const MAX_RESTARTS = 3;

/** The first step of the kubelet's CrashLoopBackOff and of the Job controller's pod-failure back-off. */
const BACKOFF_SECONDS = 10;

class PodFailure extends Error {
  constructor(message: string, public readonly log: string, public readonly exit: string) {
    super(message);
  }
}

/** Secret values the secrets Job would generate, from its own arguments (`{secret, key, value: fernet|hex|literal}`). */
export function generateSecrets(objects: Manifest[]): Record<string, Record<string, string>> {
  const job = objects.find((o) => o.kind === 'Job' && o.metadata.labels?.['app.kubernetes.io/component'] === 'secrets');
  if (!job) throw new Error('the render has no secrets Job: the test cannot know which Secret keys to generate');
  const out: Record<string, Record<string, string>> = {};
  for (const arg of job.spec.template.spec.containers[0].args as string[]) {
    const k = JSON.parse(arg);
    const value = k.value === 'fernet' ? randomBytes(32).toString('base64url') + '='
      : k.value === 'literal' ? String(k.literal) : k.value === 'hex' ? randomBytes(32).toString('hex') : undefined;
    if (value === undefined) throw new Error(`unknown generated value kind ${k.value} for ${k.secret}/${k.key}`);
    (out[k.secret] ??= {})[k.key] = value;
  }
  // Every Secret the render declares must now have data (the Job fills in the empty ones).
  for (const s of objects.filter((o) => o.kind === 'Secret')) {
    const data = { ...Object.fromEntries(Object.entries(s.data ?? {}).map(([k, v]) => [k, Buffer.from(String(v), 'base64').toString()])), ...(s.stringData ?? {}) };
    out[s.metadata.name] = { ...data, ...(out[s.metadata.name] ?? {}) };
  }
  return out;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function portFree(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, host, () => s.close(() => resolve(true)));
  });
}

/** What the images bring that the host root does not: PATH, environment, working directory, entrypoint. */
interface Image {
  readonly name: 'airflow' | 'postgres' | 'redis';
  readonly path: string[];
  readonly env: Record<string, string>;
  readonly workdir: string;
}

export class Release {
  public readonly dir: string;
  public readonly objects: Manifest[];
  public readonly secrets: Record<string, Record<string, string>>;
  public readonly containers: RunningContainer[] = [];
  /** Jobs run to completion: name, seconds, exit status. */
  public readonly jobs: { name: string; seconds: number; code: number | null }[] = [];
  /** Host directory shown as the airflow image's /opt/airflow (AIRFLOW_HOME; dags/ is the baked-in DAGs folder). */
  public readonly imageHome: string;
  private readonly sandboxes: Sandbox[] = [];
  /** Causes of failure the tier retries (see ToleratedFailure); none unless the test says so. */
  public tolerated: ToleratedFailure[] = [];
  /** Every restart and replaced Job pod, in order. */
  public readonly restarts: Restart[] = [];
  private readonly started = Date.now();
  private readonly supervisors: Promise<void>[] = [];
  private readonly logOffsets = new WeakMap<Sandbox, number>();
  private stopping = false;
  private readonly hostsFile: string;
  private readonly passwdFile: string;
  private readonly groupFile: string;

  constructor(public readonly name: string, objects: Manifest[], public readonly tools: E2eTools, public readonly namespace = 'airflow') {
    this.objects = objects;
    this.dir = mkdtempSync(join(tmpdir(), `cdk8s-airflow-e2e-${name}-`));
    chmodSync(this.dir, 0o755);
    this.secrets = generateSecrets(objects);
    // The airflow image: /opt/airflow owned by airflow (50000:0) with dags/, /home/airflow; read-only in the pods.
    this.imageHome = this.path('image', 'opt-airflow');
    mkdirSync(join(this.imageHome, 'dags'), { recursive: true });
    mkdirSync(this.path('image', 'home-airflow'), { recursive: true });
    for (const d of [this.imageHome, join(this.imageHome, 'dags'), this.path('image', 'home-airflow')]) chownSync(d, 50000, 0);
    // Service names (short, .ns, .ns.svc, .ns.svc.cluster.local) and StatefulSet pods' names -> 127.0.0.1.
    const names = new Set<string>();
    for (const s of objects.filter((o) => o.kind === 'Service')) {
      const n = s.metadata.name;
      for (const suffix of ['', `.${namespace}`, `.${namespace}.svc`, `.${namespace}.svc.cluster.local`]) names.add(n + suffix);
    }
    for (const s of objects.filter((o) => o.kind === 'StatefulSet')) {
      const svc = s.spec.serviceName;
      for (let i = 0; i < (s.spec.replicas ?? 1); i++) {
        names.add(`${s.metadata.name}-${i}.${svc}`);
        names.add(`${s.metadata.name}-${i}.${svc}.${namespace}.svc.cluster.local`);
      }
    }
    this.hostsFile = this.path('hosts');
    this.passwdFile = this.path('passwd');
    this.groupFile = this.path('group');
    writeFileSync(this.hostsFile, `127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n${[...names].map((n) => `127.0.0.1\t${n}`).join('\n')}\n`);
    // The airflow image has user airflow (50000, group 0); the postgres image's entrypoint maps an arbitrary UID to a
    // user (nss_wrapper), which initdb needs; redis needs none. Host entries stay (for the host's own tools).
    const passwd = readFileSync('/etc/passwd', 'utf-8').trimEnd().split('\n').filter((l) => !/^[^:]*:[^:]*:(50000|10001|10002):/.test(l));
    writeFileSync(this.passwdFile, [...passwd, 'airflow:x:50000:0:airflow:/home/airflow:/bin/bash',
      'pod-10001:x:10001:10001:postgres pod:/var/lib/postgresql:/bin/sh', 'pod-10002:x:10002:10002:redis pod:/data:/bin/sh', ''].join('\n'));
    const group = readFileSync('/etc/group', 'utf-8').trimEnd().split('\n').filter((l) => !/^[^:]*:[^:]*:(10001|10002):/.test(l));
    writeFileSync(this.groupFile, [...group, 'pod-10001:x:10001:', 'pod-10002:x:10002:', ''].join('\n'));
    for (const f of [this.hostsFile, this.passwdFile, this.groupFile]) chmodSync(f, 0o644);
  }

  public path(...p: string[]): string {
    return join(this.dir, ...p);
  }

  public workloads(kind: string): Manifest[] {
    return this.objects.filter((o) => o.kind === kind);
  }

  public object(kind: string, name: string): Manifest {
    const o = this.objects.find((x) => x.kind === kind && x.metadata.name === name);
    if (!o) throw new Error(`the render has no ${kind} ${name}`);
    return o;
  }

  /** The rendered airflow.cfg (from the ConfigMap the Airflow containers mount). */
  public airflowCfg(): string {
    const cm = this.objects.find((o) => o.kind === 'ConfigMap' && o.data?.['airflow.cfg'] !== undefined);
    if (!cm) throw new Error('no ConfigMap with airflow.cfg in the render');
    return cm.data['airflow.cfg'];
  }

  /** Every port a container of the render declares: each must be free on this machine before the pods start. */
  public async checkPorts(): Promise<void> {
    const ports = new Map<number, string>();
    for (const w of [...this.workloads('Deployment'), ...this.workloads('StatefulSet')]) {
      for (const c of w.spec.template.spec.containers) {
        for (const p of c.ports ?? []) {
          const prev = ports.get(p.containerPort);
          if (prev) throw new Error(`port ${p.containerPort} is declared by ${prev} and ${w.metadata.name}/${c.name}: on one loopback they collide`);
          ports.set(p.containerPort, `${w.metadata.name}/${c.name}`);
        }
      }
    }
    for (const [port, who] of ports) {
      if (!(await portFree(port, '0.0.0.0')) || !(await portFree(port, '127.0.0.1'))) {
        throw new Error(`port ${port} (${who}) is in use on this machine; the end-to-end tier runs every pod on the host's `
          + 'loopback at its declared ports: stop whatever listens there');
      }
    }
  }

  private image(container: any): Image {
    const ref = String(container.image);
    const repo = ref.replace(/@.*$/, '').replace(/:[^/:]*$/, '');
    const sys = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];
    if (/(^|\/)apache\/airflow$/.test(repo)) {
      return {
        name: 'airflow', path: [join(this.tools.venv, 'bin'), ...sys], workdir: IMAGE_AIRFLOW_HOME,
        env: { AIRFLOW_HOME: IMAGE_AIRFLOW_HOME, AIRFLOW_USER_HOME_DIR: '/home/airflow', HOME: '/home/airflow', LANG: 'C.UTF-8', LC_ALL: 'C.UTF-8' },
      };
    }
    if (/(^|\/)postgres$/.test(repo)) return { name: 'postgres', path: [this.tools.pgBin, ...sys], workdir: '/', env: { LANG: 'C.UTF-8', HOME: '/var/lib/postgresql' } };
    if (/(^|\/)redis$/.test(repo)) return { name: 'redis', path: sys, workdir: '/data', env: { HOME: '/data' } };
    throw new Error(`no local stand-in for image ${ref}`);
  }

  /**
   * The argv the container runs: `command` (the image entrypoint replaced) or the image's entrypoint with `args`.
   * apache/airflow's /entrypoint runs `airflow <args>` (a leading `airflow` is the command itself), or bash,
   * python and sh directly; the postgres image's docker-entrypoint.sh initializes PGDATA (POSTGRES_USER,
   * POSTGRES_DB, POSTGRES_PASSWORD_FILE), then runs postgres: rebuilt here in sh with Debian's initdb/postgres.
   * Kubernetes expands `$(VAR)` in command and args from the container's environment.
   */
  private finalArgv(image: Image, c: any, env: Record<string, string>): string[] {
    if (c.command) return [...c.command, ...(c.args ?? [])].map((x) => expandVars(String(x), env));
    const args: string[] = (c.args ?? []).map((x: unknown) => expandVars(String(x), env));
    if (image.name === 'airflow') {
      if (args[0] === 'airflow' || ['bash', 'python', 'sh'].includes(args[0])) return args;
      return ['airflow', ...args];
    }
    if (image.name === 'postgres') {
      if (args.length && args[0] !== 'postgres') return args;
      return ['sh', '-c', POSTGRES_ENTRYPOINT, 'docker-entrypoint.sh', ...args.slice(1)];
    }
    return args.length ? args : ['redis-server'];
  }

  /** The container's environment as the kubelet builds it (envFrom, then env in order, `$(VAR)` expanded). */
  public containerEnv(c: any, pod: { name: string; spec: any }): Record<string, string> {
    const out: Record<string, string> = {};
    for (const ef of c.envFrom ?? []) {
      const src = ef.configMapRef ? this.configMapData(ef.configMapRef.name, ef.configMapRef.optional)
        : ef.secretRef ? this.secretData(ef.secretRef.name, ef.secretRef.optional) : undefined;
      if (!src) throw new Error(`unsupported envFrom ${JSON.stringify(ef)}`);
      for (const [k, v] of Object.entries(src)) out[(ef.prefix ?? '') + k] = v;
    }
    for (const e of c.env ?? []) {
      const vf = e.valueFrom;
      if (vf?.secretKeyRef) {
        const v = this.secretData(vf.secretKeyRef.name, vf.secretKeyRef.optional)?.[vf.secretKeyRef.key];
        if (v === undefined) {
          if (vf.secretKeyRef.optional) continue;
          throw new Error(`${pod.name}/${c.name}: env ${e.name} refers to missing Secret key ${vf.secretKeyRef.name}/${vf.secretKeyRef.key}`);
        }
        out[e.name] = v;
      } else if (vf?.configMapKeyRef) {
        const v = this.configMapData(vf.configMapKeyRef.name, vf.configMapKeyRef.optional)?.[vf.configMapKeyRef.key];
        if (v === undefined) {
          if (vf.configMapKeyRef.optional) continue;
          throw new Error(`${pod.name}/${c.name}: env ${e.name} refers to missing ConfigMap key ${vf.configMapKeyRef.name}/${vf.configMapKeyRef.key}`);
        }
        out[e.name] = v;
      } else if (vf?.fieldRef) {
        out[e.name] = this.fieldRef(vf.fieldRef.fieldPath, pod);
      } else if (vf) {
        throw new Error(`${pod.name}/${c.name}: unsupported valueFrom ${JSON.stringify(vf)}`);
      } else {
        out[e.name] = expandVars(String(e.value ?? ''), out);
      }
    }
    return out;
  }

  private fieldRef(path: string, pod: { name: string; spec: any; labels?: Record<string, string>; annotations?: Record<string, string> }): string {
    const m = /^metadata\.(labels|annotations)\['(.*)'\]$/.exec(path);
    if (m) return (m[1] === 'labels' ? pod.labels : pod.annotations)?.[m[2]] ?? '';
    switch (path) {
      case 'metadata.name': return pod.name;
      case 'metadata.namespace': return this.namespace;
      case 'metadata.uid': return `e2e-${pod.name}`;
      case 'spec.nodeName': return 'e2e-node';
      case 'spec.serviceAccountName': return pod.spec.serviceAccountName ?? 'default';
      case 'status.podIP': case 'status.hostIP': return '127.0.0.1';
      case 'status.podIPs': case 'status.hostIPs': return '127.0.0.1';
      default: throw new Error(`unsupported fieldRef ${path}`);
    }
  }

  private configMapData(name: string, optional?: boolean): Record<string, string> | undefined {
    const cm = this.objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === name);
    if (!cm) {
      if (optional) return undefined;
      throw new Error(`ConfigMap ${name} is referenced but not rendered`);
    }
    return { ...(cm.data ?? {}), ...Object.fromEntries(Object.entries(cm.binaryData ?? {}).map(([k, v]) => [k, Buffer.from(String(v), 'base64').toString()])) };
  }

  private secretData(name: string, optional?: boolean): Record<string, string> | undefined {
    const s = this.secrets[name];
    if (!s && !optional) throw new Error(`Secret ${name} is referenced but neither rendered nor generated`);
    return s;
  }

  /** A pod's volumes as host directories (created once per pod; PVCs once per claim). */
  private volumes(podName: string, podSpec: any, claimTemplates: any[]): Map<string, { dir: string; readOnly: boolean }> {
    const fsGroup: number | undefined = podSpec.securityContext?.fsGroup;
    const out = new Map<string, { dir: string; readOnly: boolean }>();
    const own = (dir: string, mode: number) => {
      if (fsGroup !== undefined) chownSync(dir, 0, fsGroup);
      chmodSync(dir, mode | (fsGroup !== undefined ? 0o2000 : 0));
    };
    const writeFiles = (dir: string, data: Record<string, string>, items: any[] | undefined, defaultMode: number | undefined) => {
      mkdirSync(dir, { recursive: true });
      const entries = items ? items.map((i: any) => {
        if (!(i.key in data)) throw new Error(`volume item ${i.key} missing from its source in pod ${podName}`);
        return [i.path, data[i.key], i.mode] as const;
      }) : Object.entries(data).map(([k, v]) => [k, v, undefined] as const);
      for (const [p, v, mode] of entries) {
        const f = join(dir, p);
        mkdirSync(posix.dirname(f), { recursive: true });
        writeFileSync(f, v);
        // The kubelet: files root-owned, group fsGroup, mode item.mode ?? defaultMode ?? 0644.
        if (fsGroup !== undefined) chownSync(f, 0, fsGroup);
        chmodSync(f, mode ?? defaultMode ?? 0o644);
      }
      chmodSync(dir, 0o755);
      if (fsGroup !== undefined) chownSync(dir, 0, fsGroup);
    };
    for (const v of podSpec.volumes ?? []) {
      const dir = this.path('pods', podName, 'volumes', v.name);
      if (v.emptyDir) {
        mkdirSync(dir, { recursive: true });
        own(dir, 0o777);
        out.set(v.name, { dir, readOnly: false });
      } else if (v.configMap) {
        const data = this.configMapData(v.configMap.name, v.configMap.optional) ?? {};
        writeFiles(dir, data, v.configMap.items, v.configMap.defaultMode);
        out.set(v.name, { dir, readOnly: true });
      } else if (v.secret) {
        const data = this.secretData(v.secret.secretName, v.secret.optional) ?? {};
        writeFiles(dir, data, v.secret.items, v.secret.defaultMode);
        out.set(v.name, { dir, readOnly: true });
      } else if (v.persistentVolumeClaim) {
        out.set(v.name, { dir: this.claim(v.persistentVolumeClaim.claimName, fsGroup), readOnly: !!v.persistentVolumeClaim.readOnly });
      } else {
        throw new Error(`pod ${podName}: unsupported volume ${JSON.stringify(v)}`);
      }
    }
    for (const t of claimTemplates) out.set(t.metadata.name, { dir: this.claim(`${t.metadata.name}-${podName}`, fsGroup), readOnly: false });
    return out;
  }

  /** A PVC as a host directory: a fresh volume the kubelet gives to fsGroup (group-owned, setgid, group-writable). */
  private claim(name: string, fsGroup: number | undefined): string {
    const dir = this.path('pvc', name);
    if (!existsSync(dir)) {
      mkdirSync(dir, { recursive: true });
      if (fsGroup !== undefined) {
        chownSync(dir, 0, fsGroup);
        chmodSync(dir, 0o2775);
      } else chmodSync(dir, 0o755);
    }
    return dir;
  }

  private containerSpec(podName: string, podSpec: any, c: any, vols: Map<string, { dir: string; readOnly: boolean }>, pod: any): { spec: ContainerSpec; image: Image } {
    const sc = { ...(podSpec.securityContext ?? {}), ...(c.securityContext ?? {}) };
    const id = `${podName}/${c.name}`;
    if (!c.securityContext?.readOnlyRootFilesystem) throw new Error(`${id}: readOnlyRootFilesystem is not set; this tier runs every container on the host root, read-only`);
    if (sc.runAsUser === undefined || sc.runAsUser === 0) throw new Error(`${id}: no non-root runAsUser`);
    if (c.securityContext?.capabilities?.add?.length) throw new Error(`${id}: adds capabilities, which this tier does not grant`);
    const image = this.image(c);
    const mounts: Mount[] = [];
    if (image.name === 'airflow') {
      mounts.push({ source: this.imageHome, target: IMAGE_AIRFLOW_HOME, readOnly: true, owned: true });
      mounts.push({ source: this.path('image', 'home-airflow'), target: '/home/airflow', readOnly: true, owned: true });
      mounts.push({ source: this.tools.venv, target: this.tools.venv, readOnly: true, owned: false });
      mounts.push({ source: this.tools.pythonHome, target: this.tools.pythonHome, readOnly: true, owned: false });
    }
    // The kubelet's /etc/hosts of the pod: its own name at its IP (127.0.0.1 here), then the Services' names.
    const hosts = this.path('pods', podName, 'hosts');
    if (!existsSync(hosts)) {
      mkdirSync(this.path('pods', podName), { recursive: true });
      writeFileSync(hosts, `${readFileSync(this.hostsFile, 'utf-8')}127.0.0.1\t${podName}\n`, { mode: 0o644 });
    }
    mounts.push({ source: hosts, target: '/etc/hosts', readOnly: true, owned: false });
    mounts.push({ source: this.passwdFile, target: '/etc/passwd', readOnly: true, owned: false });
    mounts.push({ source: this.groupFile, target: '/etc/group', readOnly: true, owned: false });
    for (const vm of c.volumeMounts ?? []) {
      const v = vols.get(vm.name);
      if (!v) throw new Error(`${id}: volumeMount ${vm.name} has no volume`);
      const source = vm.subPath ? join(v.dir, vm.subPath) : v.dir;
      if (vm.subPath && !existsSync(source)) mkdirSync(source, { recursive: true });
      mounts.push({ source, target: vm.mountPath, readOnly: v.readOnly || !!vm.readOnly, owned: true });
    }
    const own = this.containerEnv(c, pod);
    const env = { PATH: image.path.join(':'), HOSTNAME: podName, ...image.env, ...own };
    const groups: number[] = [...(podSpec.securityContext?.supplementalGroups ?? [])];
    if (podSpec.securityContext?.fsGroup !== undefined) groups.unshift(podSpec.securityContext.fsGroup);
    return {
      image,
      spec: {
        id, hostname: podName, argv: this.finalArgv(image, c, own), env, workingDir: c.workingDir ?? image.workdir, mounts,
        uid: sc.runAsUser, gid: sc.runAsGroup ?? 0, groups, noNewPrivs: sc.allowPrivilegeEscalation === false,
        logFile: this.path('logs', `${podName}.${c.name}.log`),
      },
    };
  }

  /**
   * Runs one pod of a workload: init containers in order (each must exit 0), then the main containers. A Job's pod
   * must exit 0; when it fails for a tolerated cause, a new pod runs after the Job controller's back-off, up to the
   * Job's backoffLimit. A Deployment's or StatefulSet's containers keep running, probed and restarted by
   * `supervise()`.
   */
  public async runPod(workload: Manifest): Promise<RunningContainer[]> {
    if (workload.kind !== 'Job') return this.runPodOnce(workload);
    const backoffLimit: number = workload.spec.backoffLimit ?? 6;
    for (let failures = 0; ; failures++) {
      try {
        return await this.runPodOnce(workload);
      } catch (e) {
        if (!(e instanceof PodFailure) || this.stopping) throw e;
        const cause = this.toleratedCause(e.log);
        if (!cause) throw e;
        if (failures >= backoffLimit) throw new Error(`${e.message}\n(the Job's backoffLimit ${backoffLimit} is reached)`);
        this.restarts.push({ id: `Job ${workload.metadata.name}`, exit: e.exit, cause: cause.name, secondsSinceStart: this.seconds() });
        await this.sleepUnlessStopping(BACKOFF_SECONDS * 1000 * 2 ** failures);
      }
    }
  }

  private async runPodOnce(workload: Manifest): Promise<RunningContainer[]> {
    mkdirSync(this.path('logs'), { recursive: true });
    const kind = workload.kind;
    const tpl = workload.spec.template;
    const podSpec = tpl.spec;
    const rand = (n: number) => randomBytes(8).toString('hex').replace(/[^a-z0-9]/g, '').slice(0, n);
    const podName = kind === 'StatefulSet' ? `${workload.metadata.name}-0`
      : kind === 'Job' ? `${workload.metadata.name}-${rand(5)}` : `${workload.metadata.name}-${rand(10)}-${rand(5)}`;
    const pod = { name: podName, spec: podSpec, labels: tpl.metadata?.labels, annotations: tpl.metadata?.annotations };
    const component = tpl.metadata?.labels?.['app.kubernetes.io/component'] ?? workload.metadata.name;
    const vols = this.volumes(podName, podSpec, workload.spec.volumeClaimTemplates ?? []);
    const podStart = Date.now();
    for (const ic of podSpec.initContainers ?? []) {
      const { spec } = this.containerSpec(podName, podSpec, ic, vols, pod);
      const sb = this.start(spec);
      const code = await sb.exited;
      if (code !== 0) throw new Error(`init container ${spec.id} exited ${code}:\n${tail(spec.logFile)}`);
    }
    const initSeconds = (Date.now() - podStart) / 1000;
    const started: RunningContainer[] = [];
    for (const c of podSpec.containers) {
      const { spec } = this.containerSpec(podName, podSpec, c, vols, pod);
      const sb = this.start(spec);
      const rc: RunningContainer = {
        component, pod: podName, container: c.name, sandbox: sb, spec, command: spec.argv.join(' ').replace(/\s+/g, ' '),
        isJob: kind === 'Job', probes: [], initSeconds, firstStartedAt: sb.startedAt, restarts: 0,
      };
      started.push(rc);
      this.containers.push(rc);
    }
    if (kind === 'Job') {
      for (const rc of started) {
        const code = await rc.sandbox.exited;
        const seconds = (Date.now() - podStart) / 1000;
        this.jobs.push({ name: workload.metadata.name, seconds, code });
        rc.readySeconds = seconds;
        if (code !== 0) {
          throw new PodFailure(`Job ${workload.metadata.name}: ${rc.spec.id} exited ${code}:\n${tail(rc.spec.logFile)}`,
            this.runLog(rc.sandbox), `exit ${code}`);
        }
      }
    } else {
      for (const rc of started) this.supervisors.push(this.supervise(rc, podSpec.containers.find((x: any) => x.name === rc.container)));
    }
    return started;
  }

  /** Starts a container run; its log file gets the run's output appended after a `###` header. */
  private start(spec: ContainerSpec): Sandbox {
    const offset = existsSync(spec.logFile) ? statSync(spec.logFile).size : 0;
    const sb = new Sandbox(spec, this.tools);
    this.logOffsets.set(sb, offset);
    this.sandboxes.push(sb);
    return sb;
  }

  /** What one run of a container wrote: its log file from where it ended when the run started, less the header. */
  private runLog(sb: Sandbox): string {
    const text = existsSync(sb.spec.logFile) ? readFileSync(sb.spec.logFile) : Buffer.alloc(0);
    return text.subarray(this.logOffsets.get(sb) ?? 0).toString('utf-8').replace(/^### [^\n]*\n/, '');
  }

  private toleratedCause(log: string): ToleratedFailure | undefined {
    return this.tolerated.find((t) => t.pattern.test(log));
  }

  private seconds(): number {
    return (Date.now() - this.started) / 1000;
  }

  /**
   * The kubelet's care of one long-running container (restartPolicy Always): probe it; when it exits, or a startup
   * or liveness probe reaches its failureThreshold (the kubelet then stops it), restart it after CrashLoopBackOff's
   * delay (10 s, doubling) with its probes afresh, if the cause is tolerated and it has restarted fewer than
   * MAX_RESTARTS times; otherwise record the failure. Ends when the release stops.
   */
  private async supervise(rc: RunningContainer, c: any): Promise<void> {
    for (;;) {
      const sb = rc.sandbox;
      await this.probe(rc, c);
      // No probe left running (none declared, or readiness only ended): wait for an exit or the release's stop.
      while (!this.stopping && sb.running && !rc.probes.some((p) => p.killed)) await sleep(250);
      if (this.stopping) return;
      const killed = rc.probes.find((p) => p.killed);
      if (killed && sb.running) await sb.stop(c.terminationGracePeriodSeconds ?? 30);
      if (this.stopping) return;
      const exit = killed ? `killed: ${killed.kind} probe failed ${killed.worstStreak} times (${killed.handler}): ${killed.lastOutput.slice(-300)}`
        : `exited ${sb.exitCode}`;
      const cause = killed ? undefined : this.toleratedCause(this.runLog(sb));
      if (!cause || rc.restarts >= MAX_RESTARTS) {
        rc.failure = `${rc.spec.id} ${exit}${cause ? ` (${cause.name}, after ${rc.restarts} restarts)` : ''}\n${tail(rc.spec.logFile)}`;
        return;
      }
      this.restarts.push({ id: rc.spec.id, exit, cause: cause.name, secondsSinceStart: this.seconds() });
      await this.sleepUnlessStopping(BACKOFF_SECONDS * 1000 * 2 ** rc.restarts);
      if (this.stopping) return;
      rc.restarts++;
      rc.probes = [];
      rc.sandbox = this.start(rc.spec);
    }
  }

  /**
   * The kubelet's probing of one container: startupProbe until it passes (failureThreshold consecutive failures
   * kill the container), then readinessProbe and livenessProbe, each at its own initialDelaySeconds, periodSeconds,
   * timeoutSeconds, successThreshold and failureThreshold, until the run ends, a probe kills it or the release stops.
   */
  private async probe(rc: RunningContainer, c: any): Promise<void> {
    const portOf = (p: any) => {
      if (typeof p === 'number') return p;
      const found = (c.ports ?? []).find((x: any) => x.name === p);
      if (!found) throw new Error(`${rc.spec.id}: probe port ${p} is not a declared port`);
      return found.containerPort;
    };
    const describe = (p: any) => p.httpGet ? `GET :${portOf(p.httpGet.port)}${p.httpGet.path ?? '/'}`
      : p.tcpSocket ? `tcp :${portOf(p.tcpSocket.port)}` : p.exec ? `exec ${p.exec.command.join(' ')}` : p.grpc ? 'grpc' : '?';
    const probeLog = this.path('logs', `${rc.pod}.${rc.container}.probes.log`);
    const once = async (p: any, kind: string): Promise<{ ok: boolean; output: string }> => {
      const timeout = p.timeoutSeconds ?? 1;
      if (p.httpGet) {
        if ((p.httpGet.scheme ?? 'HTTP') !== 'HTTP') throw new Error(`${rc.spec.id}: HTTPS probes are not supported here`);
        const headers = Object.fromEntries((p.httpGet.httpHeaders ?? []).map((h: any) => [h.name, h.value]));
        return { ok: await httpGet(portOf(p.httpGet.port), p.httpGet.path ?? '/', timeout, headers), output: '' };
      }
      if (p.tcpSocket) return { ok: await tcpConnect(portOf(p.tcpSocket.port), timeout), output: '' };
      if (p.exec) {
        const r = await rc.sandbox.exec(p.exec.command, timeout);
        writeFileSync(probeLog, `### ${new Date().toISOString()} ${kind} exit ${r.code}${r.timedOut ? ' (timed out)' : ''}\n${r.output}`, { flag: 'a' });
        return { ok: r.code === 0 && !r.timedOut, output: r.output };
      }
      throw new Error(`${rc.spec.id}: unsupported probe ${JSON.stringify(p)}`);
    };
    const loop = async (p: any, kind: ProbeStat['kind'], stat: ProbeStat, until?: () => boolean, onPass?: () => void) => {
      const delay = (p.initialDelaySeconds ?? 0) * 1000 - (Date.now() - rc.sandbox.startedAt);
      if (delay > 0) await this.sleepUnlessStopping(delay);
      let streak = 0;
      let successes = 0;
      while (!this.stopping && rc.sandbox.running && !(until?.())) {
        const t0 = Date.now();
        const r = await once(p, kind).catch((e) => ({ ok: false, output: String(e) }));
        if (this.stopping || !rc.sandbox.running) break;
        if (r.ok) {
          stat.passes++; streak = 0; successes++;
          if (successes >= (p.successThreshold ?? 1)) onPass?.();
          if (until?.()) break;
        } else {
          stat.failures++; streak++; successes = 0; stat.lastOutput = r.output.slice(-2000);
          stat.worstStreak = Math.max(stat.worstStreak, streak);
          if (kind !== 'readiness' && streak >= (p.failureThreshold ?? 3)) { stat.killed = true; return; }
        }
        await this.sleepUnlessStopping(Math.max(0, (p.periodSeconds ?? 10) * 1000 - (Date.now() - t0)));
      }
    };
    const mk = (kind: ProbeStat['kind'], p: any): ProbeStat => ({ kind, handler: describe(p), passes: 0, failures: 0, worstStreak: 0, killed: false, lastOutput: '' });
    const startup = c.startupProbe ? mk('startup', c.startupProbe) : undefined;
    const readiness = c.readinessProbe ? mk('readiness', c.readinessProbe) : undefined;
    const liveness = c.livenessProbe ? mk('liveness', c.livenessProbe) : undefined;
    rc.probes.push(...[startup, readiness, liveness].filter((x): x is ProbeStat => !!x));
    const markReady = () => { rc.readySeconds ??= (Date.now() - rc.firstStartedAt) / 1000; };
    const afterStartup = async () => {
      if (startup) {
        let started = false;
        await loop(c.startupProbe, 'startup', startup, () => started, () => { started = true; });
        if (!started) return;
      }
      if (!readiness) markReady();
      await Promise.all([
        // Readiness stops with the run, or when the liveness probe has the container killed.
        readiness ? loop(c.readinessProbe, 'readiness', readiness, () => !!liveness?.killed, markReady) : Promise.resolve(),
        liveness ? loop(c.livenessProbe, 'liveness', liveness) : Promise.resolve(),
      ]);
    };
    await afterStartup();
  }

  private async sleepUnlessStopping(ms: number): Promise<void> {
    const end = Date.now() + ms;
    while (!this.stopping && Date.now() < end) await sleep(Math.min(250, end - Date.now()));
  }

  /**
   * Waits until every long-running container has passed its readiness (or startup) probe once; fails when one has
   * failed for good (see `supervise()`).
   */
  public async waitReady(containers: RunningContainer[], seconds: number): Promise<void> {
    const end = Date.now() + seconds * 1000;
    for (;;) {
      const bad = containers.find((rc) => rc.failure);
      if (bad) throw new Error(bad.failure);
      if (containers.every((rc) => rc.readySeconds !== undefined)) return;
      if (Date.now() > end) {
        const waiting = containers.filter((rc) => rc.readySeconds === undefined);
        throw new Error(`not ready after ${seconds}s: ${waiting.map((rc) => `${rc.spec.id} (${rc.probes.map((p) => `${p.kind} ${p.passes} passed, ${p.failures} failed: ${p.lastOutput.slice(-300)}`).join('; ')})\n${tail(rc.spec.logFile)}`).join('\n')}`);
      }
      await sleep(500);
    }
  }

  /** The long-running containers that failed for good (see `supervise()`). */
  public failures(): string[] {
    return this.containers.filter((rc) => rc.failure).map((rc) => rc.failure!);
  }

  /**
   * Every problem of a long-running container so far: failed for good, not running (a restart pending), or a probe of
   * its current run that never passed. Restarts for tolerated causes are not problems (they are in `restarts`).
   */
  public problems(): string[] {
    const out: string[] = [];
    for (const rc of this.containers.filter((x) => !x.isJob)) {
      if (rc.failure) out.push(rc.failure);
      else if (!rc.sandbox.running) out.push(`${rc.spec.id} exited ${rc.sandbox.exitCode} (restart pending)`);
      for (const p of rc.probes) {
        if (p.killed) out.push(`${rc.spec.id}: ${p.kind} probe (${p.handler}) reached its failureThreshold: ${p.lastOutput.slice(-500)}`);
        if (p.passes === 0) out.push(`${rc.spec.id}: ${p.kind} probe (${p.handler}) never passed (${p.failures} failures): ${p.lastOutput.slice(-500)}`);
      }
    }
    return out;
  }

  /** Lines of every container log (and exec probe output) that say `Read-only file system` or `Permission denied`. */
  public fileSystemErrors(): string[] {
    const out: string[] = [];
    const logs = this.path('logs');
    if (!existsSync(logs)) return out;
    for (const f of readdirSync(logs)) {
      const lines = readFileSync(join(logs, f), 'utf-8').split('\n');
      for (const l of lines) if (/Read-only file system|Permission denied/i.test(l)) out.push(`${f}: ${l.slice(0, 400)}`);
    }
    return out;
  }

  /** Stops every container (newest first) and the probe loops; removes the directory unless KEEP_E2E is set. */
  public async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all(this.supervisors.map((p) => p.catch(() => undefined)));
    for (const sb of [...this.sandboxes].reverse()) await sb.stop();
    if (!process.env.KEEP_E2E) rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Kubernetes `$(VAR)` expansion: from variables defined before, `$$` a literal `$`, unknown references kept. */
export function expandVars(value: string, env: Record<string, string>): string {
  return value.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)/g, (m, name) => (m === '$$' ? '$' : name in env ? env[name] : m));
}

export function tail(file: string, lines = 40): string {
  try {
    return `--- ${file} ---\n${readFileSync(file, 'utf-8').split('\n').slice(-lines).join('\n')}`;
  } catch { return `(no log ${file})`; }
}

/**
 * The postgres image's docker-entrypoint.sh, as far as this chart uses it: a fresh PGDATA gets initdb with
 * POSTGRES_USER and the password from POSTGRES_PASSWORD_FILE, password authentication for every host, and the
 * database POSTGRES_DB; then postgres runs in the foreground. Listens on the pod IP (127.0.0.1 here); fsync off
 * (scratch data, a test on a shared machine).
 */
const POSTGRES_ENTRYPOINT = `set -eu
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  initdb --username="$POSTGRES_USER" --pwfile="$POSTGRES_PASSWORD_FILE" --auth-local=trust --auth-host=scram-sha-256 \\
    -E UTF8 --no-instructions -D "$PGDATA"
  printf 'host all all all scram-sha-256\\n' >> "$PGDATA/pg_hba.conf"
  echo "CREATE DATABASE \\"$POSTGRES_DB\\"" | postgres --single -D "$PGDATA" postgres >/dev/null
fi
exec postgres -D "$PGDATA" -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off "$@"`;
