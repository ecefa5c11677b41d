/**
 * Bad-input fixtures for the Pod Security Standards check (pss.ts): a pod that complies with "restricted", and one
 * mutation per control that must break exactly that control.
 */
import { PodLike } from './pss';

/** A minimal pod that complies with the restricted profile. */
export function compliantPod(): PodLike & { metadata: any; spec: any } {
  const container = (name: string) => ({
    name,
    image: 'example/app:1.0.0',
    ports: [{ containerPort: 8080 }],
    livenessProbe: { httpGet: { path: '/health', port: 8080 } },
    securityContext: {
      runAsNonRoot: true, runAsUser: 1000, allowPrivilegeEscalation: false, privileged: false,
      capabilities: { drop: ['ALL'], add: ['NET_BIND_SERVICE'] }, seccompProfile: { type: 'RuntimeDefault' },
    },
  });
  return {
    metadata: { annotations: { [`container.apparmor.security.beta.kubernetes.io/app`]: 'runtime/default' } },
    spec: {
      securityContext: {
        runAsNonRoot: true, runAsUser: 1000, seccompProfile: { type: 'RuntimeDefault' },
        seLinuxOptions: { type: 'container_t' }, appArmorProfile: { type: 'RuntimeDefault' },
        sysctls: [{ name: 'net.ipv4.ip_unprivileged_port_start', value: '0' }],
      },
      initContainers: [container('init')],
      containers: [container('app')],
      volumes: [
        { name: 'tmp', emptyDir: {} }, { name: 'cfg', configMap: { name: 'c' } }, { name: 's', secret: { secretName: 's' } },
        { name: 'data', persistentVolumeClaim: { claimName: 'd' } }, { name: 'p', projected: { sources: [] } },
        { name: 'd', downwardAPI: { items: [] } }, { name: 'e', ephemeral: { volumeClaimTemplate: { spec: {} } } },
        { name: 'c', csi: { driver: 'x' } },
      ],
    },
  };
}

type Pod = ReturnType<typeof compliantPod>;

/**
 * One bad setting per control: [control, what, mutation, other controls the same setting also breaks]. (hostPath is
 * refused by baseline's "HostPath Volumes" and again by restricted's "Volume Types", as upstream lists it in both.)
 */
export const BAD_PODS: Array<[control: string, what: string, mutate: (p: Pod) => void, also?: string[]]> = [
  ['HostProcess', 'pod windowsOptions.hostProcess', (p) => { p.spec.securityContext.windowsOptions = { hostProcess: true }; }],
  ['HostProcess', 'container windowsOptions.hostProcess', (p) => { p.spec.containers[0].securityContext.windowsOptions = { hostProcess: true }; }],
  ['Host Namespaces', 'hostNetwork', (p) => { p.spec.hostNetwork = true; }],
  ['Host Namespaces', 'hostPID', (p) => { p.spec.hostPID = true; }],
  ['Host Namespaces', 'hostIPC', (p) => { p.spec.hostIPC = true; }],
  ['Privileged Containers', 'privileged init container', (p) => { p.spec.initContainers[0].securityContext.privileged = true; }],
  ['Capabilities', 'SYS_ADMIN added', (p) => { p.spec.containers[0].securityContext.capabilities.add = ['SYS_ADMIN']; }],
  ['Capabilities', 'CHOWN added (baseline allows it, restricted does not)', (p) => { p.spec.containers[0].securityContext.capabilities.add = ['CHOWN']; }],
  ['Capabilities', 'ALL not dropped', (p) => { p.spec.containers[0].securityContext.capabilities.drop = ['NET_RAW']; }],
  ['HostPath Volumes', 'hostPath volume', (p) => { p.spec.volumes.push({ name: 'host', hostPath: { path: '/' } }); }, ['Volume Types']],
  ['Host Ports', 'hostPort', (p) => { p.spec.containers[0].ports[0].hostPort = 8080; }],
  ['Host Probes / Lifecycle Hooks', 'probe httpGet.host', (p) => { p.spec.containers[0].livenessProbe.httpGet.host = '10.0.0.1'; }],
  ['Host Probes / Lifecycle Hooks', 'preStop tcpSocket.host', (p) => { p.spec.containers[0].lifecycle = { preStop: { tcpSocket: { port: 80, host: 'node' } } }; }],
  ['AppArmor', 'Unconfined profile', (p) => { p.spec.containers[0].securityContext.appArmorProfile = { type: 'Unconfined' }; }],
  ['AppArmor', 'unconfined annotation', (p) => { p.metadata.annotations['container.apparmor.security.beta.kubernetes.io/app'] = 'unconfined'; }],
  ['SELinux', 'custom type', (p) => { p.spec.securityContext.seLinuxOptions = { type: 'spc_t' }; }],
  ['SELinux', 'custom user', (p) => { p.spec.containers[0].securityContext.seLinuxOptions = { user: 'system_u' }; }],
  ['/proc Mount Type', 'Unmasked', (p) => { p.spec.containers[0].securityContext.procMount = 'Unmasked'; }],
  ['Seccomp', 'Unconfined container', (p) => { p.spec.containers[0].securityContext.seccompProfile = { type: 'Unconfined' }; }],
  ['Seccomp', 'no profile on pod or container', (p) => { delete p.spec.securityContext.seccompProfile; delete p.spec.containers[0].securityContext.seccompProfile; }],
  ['Sysctls', 'unsafe sysctl', (p) => { p.spec.securityContext.sysctls.push({ name: 'kernel.msgmax', value: '1' }); }],
  ['Volume Types', 'nfs volume', (p) => { p.spec.volumes.push({ name: 'n', nfs: { server: 'x', path: '/' } }); }],
  ['Volume Types', 'gitRepo volume', (p) => { p.spec.volumes.push({ name: 'g', gitRepo: { repository: 'x' } }); }],
  ['Privilege Escalation', 'allowPrivilegeEscalation unset', (p) => { delete p.spec.containers[0].securityContext.allowPrivilegeEscalation; }],
  ['Privilege Escalation', 'allowPrivilegeEscalation true', (p) => { p.spec.initContainers[0].securityContext.allowPrivilegeEscalation = true; }],
  ['Running as Non-root', 'runAsNonRoot false on a container', (p) => { p.spec.containers[0].securityContext.runAsNonRoot = false; }],
  ['Running as Non-root', 'runAsNonRoot unset on pod and container', (p) => { delete p.spec.securityContext.runAsNonRoot; delete p.spec.containers[0].securityContext.runAsNonRoot; }],
  ['Running as Non-root user', 'runAsUser 0 on the pod', (p) => { p.spec.securityContext.runAsUser = 0; }],
  ['Running as Non-root user', 'runAsUser 0 on a container', (p) => { p.spec.containers[0].securityContext.runAsUser = 0; }],
];
