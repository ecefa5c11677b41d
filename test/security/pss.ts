/**
 * Our own Pod Security Standards check, "restricted" profile (which includes every "baseline" control), written from
 * the upstream definition: https://kubernetes.io/docs/concepts/security/pod-security-standards/ (as of Kubernetes
 * v1.34, which added "Host Probes / Lifecycle Hooks" to baseline).
 *
 * Why our own: the reference implementation is Go (k8s.io/pod-security-admission) and runs in the API server; no
 * maintained JavaScript library implements the profile, and this one runs in-process over every pod template,
 * including the KubernetesExecutor pod template that only exists as text in a ConfigMap.
 *
 * Control names are the ones of the upstream tables. Windows pods (spec.os.name: windows) are not handled: we emit none.
 */

/** A pod as the checks need it: its metadata (annotations) and spec. */
export interface PodLike {
  readonly metadata?: { readonly annotations?: Record<string, string> };
  readonly spec: any;
}

export interface PssViolation {
  /** Upstream control name, e.g. `Privilege Escalation`. */
  readonly control: string;
  readonly level: 'baseline' | 'restricted';
  /** Field path, e.g. `spec.containers[0].securityContext.allowPrivilegeEscalation`. */
  readonly path: string;
  /** What was found and what is allowed. */
  readonly message: string;
}

/** Capabilities baseline allows adding (the container runtime's default set). */
export const BASELINE_CAPABILITIES = new Set([
  'AUDIT_WRITE', 'CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'FSETID', 'KILL', 'MKNOD', 'NET_BIND_SERVICE', 'SETFCAP', 'SETGID',
  'SETPCAP', 'SETUID', 'SYS_CHROOT',
]);
/** The only capability restricted allows adding. */
export const RESTRICTED_CAPABILITIES = new Set(['NET_BIND_SERVICE']);
/** "Safe" sysctls (namespaced and isolated per pod), baseline. */
export const SAFE_SYSCTLS = new Set([
  'kernel.shm_rmid_forced', 'net.ipv4.ip_local_port_range', 'net.ipv4.ip_unprivileged_port_start',
  'net.ipv4.tcp_syncookies', 'net.ipv4.ping_group_range', 'net.ipv4.ip_local_reserved_ports',
  'net.ipv4.tcp_keepalive_time', 'net.ipv4.tcp_fin_timeout', 'net.ipv4.tcp_keepalive_intvl', 'net.ipv4.tcp_keepalive_probes',
]);
/** SELinux types baseline allows. */
export const SELINUX_TYPES = new Set(['', 'container_t', 'container_init_t', 'container_kvm_t', 'container_engine_t']);
/** Volume sources restricted allows (everything else, hostPath included, is refused). */
export const RESTRICTED_VOLUME_TYPES = new Set([
  'configMap', 'csi', 'downwardAPI', 'emptyDir', 'ephemeral', 'persistentVolumeClaim', 'projected', 'secret',
]);
const SECCOMP_ALLOWED = new Set(['RuntimeDefault', 'Localhost']);
const APPARMOR_TYPES = new Set(['RuntimeDefault', 'Localhost']);
const APPARMOR_ANNOTATION = 'container.apparmor.security.beta.kubernetes.io/';

interface ContainerAt {
  readonly c: any;
  /** e.g. `spec.initContainers[0]` */
  readonly at: string;
}

function containersOf(spec: any): ContainerAt[] {
  return (['initContainers', 'containers', 'ephemeralContainers'] as const)
    .flatMap((field) => (spec[field] ?? []).map((c: any, i: number) => ({ c, at: `spec.${field}[${i}]` })));
}

const show = (v: unknown) => JSON.stringify(v);

/** Every violation of the restricted profile (baseline controls included) by one pod; empty when it complies. */
export function checkRestricted(pod: PodLike): PssViolation[] {
  const out: PssViolation[] = [];
  const spec = pod.spec ?? {};
  const psc = spec.securityContext ?? {};
  const containers = containersOf(spec);
  const v = (level: PssViolation['level'], control: string, path: string, message: string) => out.push({ control, level, path, message });

  // ---- baseline ----
  // HostProcess: windowsOptions.hostProcess undefined or false.
  if (psc.windowsOptions?.hostProcess) v('baseline', 'HostProcess', 'spec.securityContext.windowsOptions.hostProcess', 'must be unset or false');
  for (const { c, at } of containers) {
    if (c.securityContext?.windowsOptions?.hostProcess) v('baseline', 'HostProcess', `${at}.securityContext.windowsOptions.hostProcess`, 'must be unset or false');
  }
  // Host Namespaces.
  for (const f of ['hostNetwork', 'hostPID', 'hostIPC']) {
    if (spec[f]) v('baseline', 'Host Namespaces', `spec.${f}`, `must be unset or false, got ${show(spec[f])}`);
  }
  for (const { c, at } of containers) {
    const sc = c.securityContext ?? {};
    // Privileged Containers.
    if (sc.privileged) v('baseline', 'Privileged Containers', `${at}.securityContext.privileged`, 'must be unset or false');
    // Capabilities (baseline): only the default set may be added.
    for (const cap of sc.capabilities?.add ?? []) {
      if (!BASELINE_CAPABILITIES.has(cap)) v('baseline', 'Capabilities', `${at}.securityContext.capabilities.add`, `${cap} is beyond the default set`);
    }
    // Host Ports.
    (c.ports ?? []).forEach((p: any, i: number) => {
      if (p.hostPort) v('baseline', 'Host Ports', `${at}.ports[${i}].hostPort`, `must be unset or 0, got ${p.hostPort}`);
    });
    // Host Probes / Lifecycle Hooks (v1.34+): no `host` in probe or lifecycle handlers.
    const handlers: Array<[string, any]> = [
      ['livenessProbe', c.livenessProbe], ['readinessProbe', c.readinessProbe], ['startupProbe', c.startupProbe],
      ['lifecycle.postStart', c.lifecycle?.postStart], ['lifecycle.preStop', c.lifecycle?.preStop],
    ];
    for (const [name, h] of handlers) {
      for (const kind of ['httpGet', 'tcpSocket']) {
        if (h?.[kind]?.host) v('baseline', 'Host Probes / Lifecycle Hooks', `${at}.${name}.${kind}.host`, `must be unset or empty, got ${show(h[kind].host)}`);
      }
    }
    // /proc Mount Type.
    if (sc.procMount !== undefined && sc.procMount !== 'Default') v('baseline', '/proc Mount Type', `${at}.securityContext.procMount`, `must be unset or Default, got ${show(sc.procMount)}`);
  }
  // HostPath Volumes.
  (spec.volumes ?? []).forEach((vol: any, i: number) => {
    if (vol.hostPath) v('baseline', 'HostPath Volumes', `spec.volumes[${i}].hostPath`, 'hostPath volumes are forbidden');
  });
  // AppArmor: fields and the older annotations.
  const appArmorAt: Array<[string, any]> = [['spec.securityContext', psc], ...containers.map(({ c, at }) => [`${at}.securityContext`, c.securityContext ?? {}] as [string, any])];
  for (const [at, sc] of appArmorAt) {
    const t = sc.appArmorProfile?.type;
    if (t !== undefined && !APPARMOR_TYPES.has(t)) v('baseline', 'AppArmor', `${at}.appArmorProfile.type`, `must be unset, RuntimeDefault or Localhost, got ${show(t)}`);
  }
  for (const [key, value] of Object.entries(pod.metadata?.annotations ?? {})) {
    if (key.startsWith(APPARMOR_ANNOTATION) && value !== 'runtime/default' && !value.startsWith('localhost/')) {
      v('baseline', 'AppArmor', `metadata.annotations['${key}']`, `must be runtime/default or localhost/*, got ${show(value)}`);
    }
  }
  // SELinux: type from an allowed set; user and role unset.
  for (const [at, sc] of appArmorAt) {
    const o = sc.seLinuxOptions;
    if (!o) continue;
    if (o.type !== undefined && !SELINUX_TYPES.has(o.type)) v('baseline', 'SELinux', `${at}.seLinuxOptions.type`, `type ${show(o.type)} is not allowed`);
    for (const f of ['user', 'role']) {
      if (o[f]) v('baseline', 'SELinux', `${at}.seLinuxOptions.${f}`, `must be unset or empty, got ${show(o[f])}`);
    }
  }
  // Seccomp (baseline): never Unconfined.
  for (const [at, sc] of appArmorAt) {
    if (sc.seccompProfile?.type === 'Unconfined') v('baseline', 'Seccomp', `${at}.seccompProfile.type`, 'Unconfined is not allowed');
  }
  // Sysctls.
  (psc.sysctls ?? []).forEach((s: any, i: number) => {
    if (!SAFE_SYSCTLS.has(s.name)) v('baseline', 'Sysctls', `spec.securityContext.sysctls[${i}].name`, `${show(s.name)} is not a safe sysctl`);
  });

  // ---- restricted ----
  // Volume Types: only the listed sources.
  (spec.volumes ?? []).forEach((vol: any, i: number) => {
    const sources = Object.keys(vol).filter((k) => k !== 'name');
    const bad = sources.filter((k) => !RESTRICTED_VOLUME_TYPES.has(k));
    if (bad.length) v('restricted', 'Volume Types', `spec.volumes[${i}]`, `volume type ${bad.join(', ')} is not allowed`);
  });
  const podNonRoot = psc.runAsNonRoot;
  if (podNonRoot === false) v('restricted', 'Running as Non-root', 'spec.securityContext.runAsNonRoot', 'must not be false');
  if (psc.runAsUser === 0) v('restricted', 'Running as Non-root user', 'spec.securityContext.runAsUser', 'must not be 0');
  const podSeccomp = psc.seccompProfile?.type;
  if (podSeccomp !== undefined && !SECCOMP_ALLOWED.has(podSeccomp) && podSeccomp !== 'Unconfined') {
    v('restricted', 'Seccomp', 'spec.securityContext.seccompProfile.type', `must be RuntimeDefault or Localhost, got ${show(podSeccomp)}`);
  }
  for (const { c, at } of containers) {
    const sc = c.securityContext ?? {};
    // Privilege Escalation: explicitly false.
    if (sc.allowPrivilegeEscalation !== false) {
      v('restricted', 'Privilege Escalation', `${at}.securityContext.allowPrivilegeEscalation`, `must be false, got ${show(sc.allowPrivilegeEscalation)}`);
    }
    // Running as Non-root: true on the container, or unset with true on the pod.
    if (sc.runAsNonRoot === false || (sc.runAsNonRoot === undefined && podNonRoot !== true)) {
      v('restricted', 'Running as Non-root', `${at}.securityContext.runAsNonRoot`, `must be true (or unset with spec.securityContext.runAsNonRoot true), got ${show(sc.runAsNonRoot)}`);
    }
    // Running as Non-root user.
    if (sc.runAsUser === 0) v('restricted', 'Running as Non-root user', `${at}.securityContext.runAsUser`, 'must not be 0');
    // Seccomp: RuntimeDefault or Localhost, on the container or inherited from the pod.
    const t = sc.seccompProfile?.type;
    if (t !== undefined ? !SECCOMP_ALLOWED.has(t) && t !== 'Unconfined' : !SECCOMP_ALLOWED.has(podSeccomp)) {
      v('restricted', 'Seccomp', `${at}.securityContext.seccompProfile.type`, `must be RuntimeDefault or Localhost here or on the pod, got ${show(t ?? podSeccomp)}`);
    }
    // Capabilities: drop ALL, add at most NET_BIND_SERVICE.
    if (!(sc.capabilities?.drop ?? []).includes('ALL')) {
      v('restricted', 'Capabilities', `${at}.securityContext.capabilities.drop`, `must include ALL, got ${show(sc.capabilities?.drop)}`);
    }
    for (const cap of sc.capabilities?.add ?? []) {
      if (!RESTRICTED_CAPABILITIES.has(cap)) v('restricted', 'Capabilities', `${at}.securityContext.capabilities.add`, `only NET_BIND_SERVICE may be added, got ${cap}`);
    }
  }
  return out;
}

/** Every pod of a manifest list: workload templates (Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob) and Pods. */
export function podsOf(manifests: Array<{ kind: string; metadata?: any; spec?: any }>): Array<{ owner: string; pod: PodLike }> {
  const out: Array<{ owner: string; pod: PodLike }> = [];
  for (const m of manifests) {
    const owner = `${m.kind}/${m.metadata?.name}`;
    if (['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job'].includes(m.kind)) out.push({ owner, pod: m.spec.template });
    else if (m.kind === 'CronJob') out.push({ owner, pod: m.spec.jobTemplate.spec.template });
    else if (m.kind === 'Pod') out.push({ owner, pod: { metadata: m.metadata, spec: m.spec } });
  }
  return out;
}
