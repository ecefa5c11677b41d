/**
 * A real Kubernetes control plane for the cluster tier (`npm run test:cluster`): etcd (Debian), kube-apiserver and
 * kube-controller-manager (built from the pinned k8s.io/kubernetes module by .ci/tools/kube.sh) on loopback, on free
 * ports, with a fresh directory per run holding a test CA, serving and client certificates and the service-account
 * signing key (openssl), PodSecurity admission (namespaces opt in with their labels) and an audit log that records
 * PodSecurity's audit annotations. No kubelet and no scheduler: Pods stay Pending, but every Pod a controller
 * creates goes through admission, which is what these tests check.
 *
 * `startCluster()` returns a handle whose `stop()` ends exactly the processes it started (their process groups),
 * newest first, and removes the directory (`KEEP_CLUSTER=1` keeps it for a post-mortem).
 */
import { ChildProcess, execFileSync, spawn, spawnSync } from 'child_process';
import { chmodSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'fs';
import { get } from 'http';
import { tmpdir } from 'os';
import { join } from 'path';
import { freePort, sleep, waitFor } from '../integration/stack';

const REPO = join(__dirname, '..', '..');

/** Where the pinned tools are (.ci/tools/kube.sh and helm.sh). */
export interface ClusterTools {
  readonly kubeApiserver: string;
  readonly kubeControllerManager: string;
  readonly kubectl: string;
  readonly etcd: string;
  readonly openssl: string;
  readonly helm: string;
  /** `v1.34.4` */
  readonly kubeVersion: string;
}

/** What the tests need to reach the cluster; written as JSON for the test files (see global-setup.ts). */
export interface ClusterInfo {
  readonly dir: string;
  readonly server: string;
  readonly port: number;
  readonly kubeconfig: string;
  /** The CA of the API server's certificate (and of client certificates). */
  readonly caFile: string;
  readonly auditLog: string;
  /** HOME for kubectl and helm: their caches and configuration stay in the run's directory. */
  readonly home: string;
  readonly tools: ClusterTools;
}

function runTool(script: string, what: string): string {
  try {
    return execFileSync('bash', [join(REPO, '.ci', 'tools', script)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 << 20 });
  } catch (e: any) {
    const err = String(e.stderr ?? '').split('\n').slice(-30).join('\n');
    throw new Error(`the cluster tier needs ${what}, and 'bash .ci/tools/${script}' could not provide it (it needs Go, and apt-get as root `
      + `or passwordless sudo for etcd):\n${err}`);
  }
}

/** Runs the tool scripts (building on first use) and returns where the tools are. */
export function clusterTools(): ClusterTools {
  const kv = Object.fromEntries(runTool('kube.sh', 'kube-apiserver, kube-controller-manager, kubectl and etcd').trim().split('\n')
    .map((l) => l.split(/=(.*)/s).slice(0, 2)));
  const helm = runTool('helm.sh', 'helm').trim();
  return {
    kubeApiserver: kv.KUBE_APISERVER, kubeControllerManager: kv.KUBE_CONTROLLER_MANAGER, kubectl: kv.KUBECTL,
    etcd: kv.ETCD, openssl: kv.OPENSSL, helm, kubeVersion: kv.KUBE_VERSION,
  };
}

const AUDIT_POLICY = `apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
  # Writes of Pods and of the objects that carry pod templates: PodSecurity annotates them with
  # pod-security.kubernetes.io/audit-violations when the namespace's audit level is violated.
  - level: Metadata
    verbs: [create, update, patch]
    resources:
      - { group: "", resources: [pods] }
      - { group: apps, resources: [deployments, statefulsets, replicasets, daemonsets] }
      - { group: batch, resources: [jobs, cronjobs] }
  # Writes to Secrets, without their content (Metadata level): which writer changed which Secret, and the result.
  - level: Metadata
    verbs: [create, update, patch]
    resources:
      - { group: "", resources: [secrets] }
  - level: None
`;

/** The control plane of one test run. */
export class Cluster {
  private readonly procs: { name: string; proc: ChildProcess }[] = [];
  public readonly dir: string;
  private info?: ClusterInfo;

  constructor(public readonly tools: ClusterTools) {
    this.dir = mkdtempSync(join(tmpdir(), 'cdk8s-airflow-cluster-'));
    chmodSync(this.dir, 0o700);
  }

  private path(...p: string[]): string {
    return join(this.dir, ...p);
  }

  /** Starts a long-running process in its own process group, output to `<dir>/<name>.log`. */
  private spawnLogged(name: string, cmd: string, args: string[]): string {
    const log = this.path(`${name}.log`);
    const fd = openSync(log, 'a');
    const proc = spawn(cmd, args, { detached: true, stdio: ['ignore', fd, fd], cwd: this.dir });
    proc.unref();
    this.procs.push({ name, proc });
    return log;
  }

  private openssl(args: string[]): void {
    execFileSync(this.tools.openssl, args, { cwd: this.path('pki'), stdio: 'pipe' });
  }

  /** A certificate signed by the test CA. */
  private sign(name: string, subject: string, extensions: string): void {
    this.openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-subj', subject, '-keyout', `${name}.key`, '-out', `${name}.csr`]);
    writeFileSync(this.path('pki', `${name}.ext`), `basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\n${extensions}\n`);
    this.openssl(['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '2', '-extfile', `${name}.ext`, '-out', `${name}.crt`]);
  }

  /** Test CA, API server serving certificate, an admin client certificate (system:masters), service-account keys. */
  private makePki(): void {
    mkdirSync(this.path('pki'));
    this.openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=cdk8s-airflow cluster-tier CA',
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign', '-keyout', 'ca.key', '-out', 'ca.crt']);
    this.sign('apiserver', '/CN=kube-apiserver', 'extendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,IP:10.0.0.1,DNS:localhost,'
      + 'DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local');
    this.sign('admin', '/O=system:masters/CN=cluster-tier-admin', 'extendedKeyUsage=clientAuth');
    this.openssl(['genrsa', '-out', 'sa.key', '2048']);
    this.openssl(['rsa', '-in', 'sa.key', '-pubout', '-out', 'sa.pub']);
  }

  /** Starts etcd, kube-apiserver and kube-controller-manager; resolves when the controllers work. */
  public async start(): Promise<ClusterInfo> {
    this.makePki();
    const pki = (f: string) => this.path('pki', f);
    const [etcdClient, etcdPeer, apiPort, kcmPort] = [await freePort(), await freePort(), await freePort(), await freePort()];
    const server = `https://127.0.0.1:${apiPort}`;

    const etcdLog = this.spawnLogged('etcd', this.tools.etcd, [
      '--name', 'cluster-tier', '--data-dir', this.path('etcd'),
      '--listen-client-urls', `http://127.0.0.1:${etcdClient}`, '--advertise-client-urls', `http://127.0.0.1:${etcdClient}`,
      '--listen-peer-urls', `http://127.0.0.1:${etcdPeer}`, '--initial-advertise-peer-urls', `http://127.0.0.1:${etcdPeer}`,
      '--initial-cluster', `cluster-tier=http://127.0.0.1:${etcdPeer}`,
    ]);
    await waitFor('etcd', 60, () => new Promise<boolean>((resolve) => {
      get(`http://127.0.0.1:${etcdClient}/health`, (res) => {
        let body = '';
        res.on('data', (d) => { body += d; });
        res.on('end', () => resolve(/"health":\s*"true"/.test(body)));
      }).on('error', () => resolve(false));
    }), etcdLog);

    writeFileSync(this.path('audit-policy.yaml'), AUDIT_POLICY);
    const auditLog = this.path('audit.log');
    const apiLog = this.spawnLogged('kube-apiserver', this.tools.kubeApiserver, [
      `--etcd-servers=http://127.0.0.1:${etcdClient}`,
      '--bind-address=127.0.0.1', '--advertise-address=127.0.0.1', `--secure-port=${apiPort}`,
      `--cert-dir=${this.path('apiserver-certs')}`,
      `--tls-cert-file=${pki('apiserver.crt')}`, `--tls-private-key-file=${pki('apiserver.key')}`,
      `--client-ca-file=${pki('ca.crt')}`,
      '--authorization-mode=RBAC',
      // As kubeadm and managed clusters run it: privileged containers are valid, and Pod Security decides.
      '--allow-privileged=true',
      // PodSecurity is on by default since 1.25; named here because the tests depend on it.
      '--enable-admission-plugins=NamespaceLifecycle,ServiceAccount,PodSecurity',
      '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
      `--service-account-key-file=${pki('sa.pub')}`, `--service-account-signing-key-file=${pki('sa.key')}`,
      '--service-cluster-ip-range=10.0.0.0/24',
      `--audit-policy-file=${this.path('audit-policy.yaml')}`, `--audit-log-path=${auditLog}`, '--audit-log-format=json',
      '--profiling=false',
    ]);

    const kubeconfig = this.path('kubeconfig');
    writeFileSync(kubeconfig, [
      'apiVersion: v1', 'kind: Config', 'current-context: cluster-tier',
      'clusters:', '- name: cluster-tier', '  cluster:', `    server: ${server}`, `    certificate-authority: ${pki('ca.crt')}`,
      'users:', '- name: admin', '  user:', `    client-certificate: ${pki('admin.crt')}`, `    client-key: ${pki('admin.key')}`,
      'contexts:', '- name: cluster-tier', '  context:', '    cluster: cluster-tier', '    user: admin', '',
    ].join('\n'), { mode: 0o600 });
    const home = this.path('home');
    mkdirSync(home);
    this.info = { dir: this.dir, server, port: apiPort, kubeconfig, caFile: pki('ca.crt'), auditLog, home, tools: this.tools };
    const k = (args: string[]) => spawnSync(this.tools.kubectl, args, { encoding: 'utf8', env: toolEnv(this.info!), timeout: 20_000 });
    await waitFor('kube-apiserver /readyz', 120, async () => k(['get', '--raw', '/readyz']).stdout?.trim() === 'ok', apiLog);

    const kcmLog = this.spawnLogged('kube-controller-manager', this.tools.kubeControllerManager, [
      `--kubeconfig=${kubeconfig}`, `--authentication-kubeconfig=${kubeconfig}`, `--authorization-kubeconfig=${kubeconfig}`,
      '--bind-address=127.0.0.1', `--secure-port=${kcmPort}`, `--cert-dir=${this.path('kcm-certs')}`,
      '--leader-elect=false', '--use-service-account-credentials=false',
      // The token controller fills kubernetes.io/service-account-token Secrets with tokens signed by this key.
      `--service-account-private-key-file=${pki('sa.key')}`, `--root-ca-file=${pki('ca.crt')}`,
    ]);
    // The ServiceAccount controller creating `default` proves the controllers run.
    await waitFor('kube-controller-manager (the default ServiceAccount)', 120,
      async () => k(['-n', 'default', 'get', 'serviceaccount', 'default', '-o', 'name']).status === 0, kcmLog);
    return this.info;
  }

  /** Ends every process this cluster started (process groups), newest first, and removes the directory. */
  public async stop(): Promise<void> {
    for (const { proc } of [...this.procs].reverse()) {
      if (proc.pid === undefined || proc.exitCode !== null || proc.signalCode !== null) continue;
      const exited = new Promise<void>((r) => proc.once('exit', () => r()));
      try { process.kill(-proc.pid, 'SIGTERM'); } catch { continue; }
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([exited, new Promise<void>((r) => { timer = setTimeout(r, 15_000); })]);
      clearTimeout(timer);
      if (proc.exitCode === null && proc.signalCode === null) {
        try { process.kill(-proc.pid, 'SIGKILL'); } catch { /* gone */ }
        await sleep(200);
      }
    }
    this.procs.length = 0;
    if (!process.env.KEEP_CLUSTER) rmSync(this.dir, { recursive: true, force: true });
  }

  /** Synchronous last resort (process exit): SIGKILL to every process group still running. */
  public killNow(): void {
    for (const { proc } of this.procs) {
      if (proc.pid !== undefined && proc.exitCode === null && proc.signalCode === null) {
        try { process.kill(-proc.pid, 'SIGKILL'); } catch { /* gone */ }
      }
    }
  }
}

/** Environment for kubectl and helm: the run's kubeconfig and HOME (no user configuration or cache is used). */
export function toolEnv(info: ClusterInfo): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH, HOME: info.home, KUBECONFIG: info.kubeconfig,
    HELM_CACHE_HOME: join(info.home, '.cache', 'helm'), HELM_CONFIG_HOME: join(info.home, '.config', 'helm'), HELM_DATA_HOME: join(info.home, '.local', 'share', 'helm'),
  };
}

/** Reads the handle global-setup.ts wrote (CDK8S_AIRFLOW_CLUSTER names the file). */
export function clusterInfo(): ClusterInfo {
  const file = process.env.CDK8S_AIRFLOW_CLUSTER;
  if (!file) throw new Error('no cluster: run the cluster tier with `npm run test:cluster` (its global setup starts the control plane)');
  return JSON.parse(readFileSync(file, 'utf8'));
}
