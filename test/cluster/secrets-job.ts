/**
 * The secrets Job of a release, run on this machine: its container's command, args and env exactly as the cluster
 * holds them, with a real token of its ServiceAccount (`kubectl create token`) in a folder laid out like the one
 * kubelet mounts (token, namespace, ca.crt). No kubelet runs in the cluster tier, so this is how the Job's code meets
 * the real API server and its RBAC.
 */
import { spawn, spawnSync } from 'child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { clusterInfo } from './cluster';
import { getJson, kubectl, ok } from './kube';

/** The newest secrets Job of the release in the namespace. */
export function secretsJob(ns: string, release: string): any {
  const jobs = getJson(['-n', ns, 'jobs', '-l', `app.kubernetes.io/instance=${release},app.kubernetes.io/component=secrets`]).items;
  if (jobs.length === 0) throw new Error(`no secrets Job of release ${release} in ${ns}`);
  return jobs.sort((a: any, b: any) => b.metadata.creationTimestamp.localeCompare(a.metadata.creationTimestamp))[0];
}

/** A fresh token of a ServiceAccount, as the TokenRequest API issues it to a Pod. */
export function serviceAccountToken(ns: string, serviceAccount: string): string {
  return ok(kubectl(['-n', ns, 'create', 'token', serviceAccount, '--duration=1h'])).stdout.trim();
}

/** Names of the Secrets the Job fills in (from its arguments). */
export function declaredNames(job: any): string[] {
  return [...new Set<string>(job.spec.template.spec.containers[0].args.map((a: string) => JSON.parse(a).secret))];
}

interface Prepared { readonly args: string[]; readonly env: NodeJS.ProcessEnv; readonly job: string; readonly sa: string }

/** The Job's command line and environment, and a service-account folder with a fresh token (removed by the caller). */
function prepare(ns: string, release: string): Prepared {
  const job = secretsJob(ns, release);
  const pod = job.spec.template.spec;
  const c = pod.containers[0];
  if (c.command?.[0] !== 'python') throw new Error(`the secrets Job runs ${JSON.stringify(c.command)}, not python`);
  const info = clusterInfo();
  const sa = mkdtempSync(join(tmpdir(), 'secrets-job-sa-'));
  writeFileSync(join(sa, 'token'), serviceAccountToken(ns, pod.serviceAccountName));
  writeFileSync(join(sa, 'namespace'), ns);
  writeFileSync(join(sa, 'ca.crt'), readFileSync(info.caFile));
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, SA_DIR: sa, KUBERNETES_SERVICE_HOST: '127.0.0.1', KUBERNETES_SERVICE_PORT: String(info.port) };
  for (const e of c.env ?? []) {
    if (e.value === undefined) throw new Error(`the secrets Job's env ${e.name} is not a plain value`);
    env[e.name] = e.value;
  }
  return { args: [...c.command.slice(1), ...(c.args ?? [])], env, job: job.metadata.name, sa };
}

/** Runs the Job's container command locally (python3) as its ServiceAccount; returns the exit code and the output. */
export function runSecretsJob(ns: string, release: string): { code: number; out: string; job: string } {
  const p = prepare(ns, release);
  try {
    const r = spawnSync('python3', p.args, { encoding: 'utf8', env: p.env, timeout: 120_000 });
    return { code: r.status ?? -1, out: `${r.stdout}${r.stderr}`, job: p.job };
  } finally {
    rmSync(p.sa, { recursive: true, force: true });
  }
}

/** {@link runSecretsJob} without waiting: several runs can race. */
export function runSecretsJobAsync(ns: string, release: string): Promise<{ code: number; out: string; job: string }> {
  const p = prepare(ns, release);
  return new Promise((resolve) => {
    const child = spawn('python3', p.args, { env: p.env });
    let out = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { out += d; });
    child.on('close', (code) => {
      rmSync(p.sa, { recursive: true, force: true });
      resolve({ code: code ?? -1, out, job: p.job });
    });
  });
}

/** Type, data and resourceVersion of each named Secret (absent ones are left out). */
export function secretState(ns: string, names: string[]): Record<string, { type: string; data: Record<string, string>; resourceVersion: string }> {
  const out: Record<string, { type: string; data: Record<string, string>; resourceVersion: string }> = {};
  for (const s of getJson(['-n', ns, 'secrets']).items) {
    if (names.includes(s.metadata.name)) out[s.metadata.name] = { type: s.type, data: s.data ?? {}, resourceVersion: s.metadata.resourceVersion };
  }
  return out;
}

/** Only the data of {@link secretState}. */
export function secretData(ns: string, names: string[]): Record<string, Record<string, string>> {
  return Object.fromEntries(Object.entries(secretState(ns, names)).map(([k, v]) => [k, v.data]));
}
