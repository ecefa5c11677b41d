/**
 * What the cluster tests do with the control plane of global-setup.ts: kubectl and helm (the pinned binaries, the
 * run's kubeconfig), namespaces that enforce Pod Security `restricted`, and the checks that every Pod the controllers
 * create was admitted: Pods per owner, FailedCreate events, PodSecurity audit annotations and client warnings.
 */
import { spawnSync } from 'child_process';
import { readFileSync } from 'fs';
import { join } from 'path';
import { request } from 'https';
import { stringify } from 'yaml';
import { sleep } from '../integration/stack';
import { Manifest } from '../util';
import { clusterInfo, toolEnv } from './cluster';

export const REPO = join(__dirname, '..', '..');
export const CHART_DIR = join(REPO, 'charts', 'airflow');

export interface Run { readonly status: number; readonly stdout: string; readonly stderr: string; readonly command: string }

function run(bin: string, name: string, args: string[], input?: string): Run {
  const r = spawnSync(bin, args, { encoding: 'utf8', env: toolEnv(clusterInfo()), input, cwd: REPO, maxBuffer: 256 << 20, timeout: 300_000 });
  return { status: r.status ?? -1, stdout: r.stdout ?? '', stderr: `${r.stderr ?? ''}${r.error ? String(r.error) : ''}`, command: `${name} ${args.join(' ')}` };
}

/** The pinned kubectl against the test cluster. */
export function kubectl(args: string[], input?: string): Run {
  return run(clusterInfo().tools.kubectl, 'kubectl', args, input);
}

/** The pinned helm against the test cluster. */
export function helm(args: string[], input?: string): Run {
  return run(clusterInfo().tools.helm, 'helm', args, input);
}

/** Throws with the command and its output unless it succeeded. */
export function ok(r: Run): Run {
  if (r.status !== 0) throw new Error(`${r.command} failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
  return r;
}

/** `kubectl get ... -o json`, parsed. */
export function getJson(args: string[]): any {
  return JSON.parse(ok(kubectl(['get', ...args, '-o', 'json'])).stdout);
}

/** Lines of client output that report a warning from the API server (PodSecurity `warn`, deprecations). */
export function warnings(r: Run): string[] {
  return `${r.stdout}\n${r.stderr}`.split('\n').filter((l) => /^Warning:|warnings\.go:\d+\]|would violate PodSecurity/.test(l));
}

/** A namespace where Pod Security `restricted` is enforced, and warned and audited. */
export function restrictedNamespace(ns: string): void {
  ok(kubectl(['create', 'namespace', ns]));
  ok(kubectl(['label', 'namespace', ns, ...['enforce', 'warn', 'audit'].flatMap((m) => [
    `pod-security.kubernetes.io/${m}=restricted`, `pod-security.kubernetes.io/${m}-version=latest`])]));
}

/** A Secret the values name (`existingSecret`), created the way a user would. */
export function createSecret(ns: string, name: string, data: Record<string, string>): void {
  ok(kubectl(['-n', ns, 'create', 'secret', 'generic', name, ...Object.entries(data).map(([k, v]) => `--from-literal=${k}=${v}`)]));
}

/** Objects as a YAML stream (for `kubectl apply -f -`). */
export function yamlStream(objects: Manifest[]): string {
  return objects.map((o) => stringify(o)).join('---\n');
}

/** Pods a controller creates for a workload when no Pod ever becomes Ready (no kubelet). */
function expectedPods(w: any): number {
  const replicas = w.spec.replicas ?? 1;
  switch (w.kind) {
    case 'Deployment': return replicas;
    // OrderedReady creates pod N+1 only once pod N is Ready.
    case 'StatefulSet': return w.spec.podManagementPolicy === 'Parallel' ? replicas : Math.min(replicas, 1);
    case 'Job': return Math.min(w.spec.parallelism ?? 1, w.spec.completions ?? 1);
    default: throw new Error(`no pod count for ${w.kind}`);
  }
}

/** FailedCreate events and events that name PodSecurity in the namespace. */
export function admissionEvents(ns: string): string[] {
  return getJson(['-n', ns, 'events']).items
    .filter((e: any) => e.reason === 'FailedCreate' || /PodSecurity|forbidden/i.test(e.message ?? ''))
    .map((e: any) => `${e.involvedObject.kind}/${e.involvedObject.name}: ${e.reason}: ${e.message}`);
}

/** PodSecurity `audit` findings the API server recorded for the namespace (its audit log). */
export function auditViolations(ns: string): string[] {
  const text = readFileSync(clusterInfo().auditLog, 'utf8');
  return text.split('\n').filter((l) => l.includes('pod-security.kubernetes.io/audit-violations')).map((l) => JSON.parse(l))
    .filter((e) => e.objectRef?.namespace === ns)
    .map((e) => `${e.verb} ${e.objectRef.resource}/${e.objectRef.name ?? ''}: ${e.annotations['pod-security.kubernetes.io/audit-violations']}`);
}

/** Successful writes (create, update, patch) to a Secret recorded in the audit log: `<verb> by <user>`. */
export function secretWrites(ns: string, name: string): string[] {
  return readFileSync(clusterInfo().auditLog, 'utf8').split('\n').filter((l) => l.includes('"secrets"')).map((l) => JSON.parse(l))
    .filter((e) => e.stage === 'ResponseComplete' && e.objectRef?.resource === 'secrets' && e.objectRef.namespace === ns && e.objectRef.name === name
      && ['create', 'update', 'patch'].includes(e.verb) && e.responseStatus?.code < 300)
    .map((e) => `${e.verb} by ${e.user.username}`);
}

/** Workloads (`Deployment/x`, `StatefulSet/y`, `Job/z`) among rendered or synthesized objects. */
export function workloadsOf(objects: { kind: string; metadata: { name: string } }[]): string[] {
  return objects.filter((o) => ['Deployment', 'StatefulSet', 'Job'].includes(o?.kind)).map((o) => `${o.kind}/${o.metadata.name}`).sort();
}

/** Pods per owning workload (`Deployment/x`, `StatefulSet/y`, `Job/z`) in the namespace. */
function podsPerOwner(ns: string): Record<string, number> {
  const rsOwner = new Map<string, string>();
  for (const rs of getJson(['-n', ns, 'replicasets']).items) {
    const o = rs.metadata.ownerReferences?.find((r: any) => r.controller);
    rsOwner.set(rs.metadata.name, o ? `${o.kind}/${o.name}` : `ReplicaSet/${rs.metadata.name}`);
  }
  const out: Record<string, number> = {};
  for (const p of getJson(['-n', ns, 'pods']).items) {
    const o = p.metadata.ownerReferences?.find((r: any) => r.controller);
    const owner = !o ? `Pod/${p.metadata.name}` : o.kind === 'ReplicaSet' ? rsOwner.get(o.name) ?? `ReplicaSet/${o.name}` : `${o.kind}/${o.name}`;
    out[owner] = (out[owner] ?? 0) + 1;
  }
  return out;
}

/** What the controllers should create and what they created, per workload. */
export interface Admission {
  readonly expected: Record<string, number>;
  readonly actual: Record<string, number>;
}

/**
 * Waits until the controllers created every Pod of every workload in the namespace (or one was refused: a
 * FailedCreate event ends the wait at once) and returns the counts; the test compares them.
 */
export async function waitForPods(ns: string, deadlineSeconds = 180): Promise<Admission> {
  const workloads = ['deployments', 'statefulsets', 'jobs'].flatMap((k) => getJson(['-n', ns, k]).items.map((w: any) => ({ ...w, kind: w.kind ?? k })));
  const expected: Record<string, number> = {};
  for (const w of workloads) expected[`${w.kind}/${w.metadata.name}`] = expectedPods(w);
  const end = Date.now() + deadlineSeconds * 1000;
  let actual: Record<string, number> = {};
  while (Date.now() < end) {
    actual = podsPerOwner(ns);
    if (Object.entries(expected).every(([k, n]) => (actual[k] ?? 0) >= n)) break;
    if (admissionEvents(ns).length > 0) break;
    await sleep(500);
  }
  return { expected, actual: Object.fromEntries(Object.keys({ ...expected, ...actual }).sort().map((k) => [k, actual[k] ?? 0])) };
}

/** One HTTPS call to the API server with a bearer token (as a Pod's ServiceAccount would make it). */
export function apiCall(token: string, method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<{ status: number; body: any }> {
  const info = clusterInfo();
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : JSON.stringify(body);
    const req = request({
      host: '127.0.0.1', port: info.port, path, method, ca: readFileSync(info.caFile),
      headers: { 'Authorization': `Bearer ${token}`, 'Accept': 'application/json', ...(data ? { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(data) } : {}) },
    }, (res) => {
      let text = '';
      res.on('data', (d) => { text += d; });
      res.on('end', () => {
        let parsed: any = text;
        try { parsed = JSON.parse(text); } catch { /* not JSON */ }
        resolve({ status: res.statusCode ?? -1, body: parsed });
      });
    });
    req.on('error', reject);
    if (data) req.write(data);
    req.end();
  });
}

/**
 * After an upgrade, Deployments run old and new ReplicaSets side by side (no Pod becomes Ready, so a rollout never
 * finishes): waits until every ReplicaSet with replicas, the StatefulSets and the Jobs have their Pods (or a
 * FailedCreate event), and returns the counts per direct owner.
 */
export async function waitForReplicaSets(ns: string, deadlineSeconds = 180): Promise<Admission> {
  // First the Deployment controller must have seen every Deployment's latest spec (and made its ReplicaSet).
  const seen = Date.now() + deadlineSeconds * 1000;
  while (Date.now() < seen && getJson(['-n', ns, 'deployments']).items.some((d: any) => (d.status?.observedGeneration ?? 0) < d.metadata.generation)) await sleep(500);
  const expected: Record<string, number> = {};
  for (const rs of getJson(['-n', ns, 'replicasets']).items) if (rs.spec.replicas > 0) expected[`ReplicaSet/${rs.metadata.name}`] = rs.spec.replicas;
  for (const w of ['statefulsets', 'jobs'].flatMap((k) => getJson(['-n', ns, k]).items)) expected[`${w.kind}/${w.metadata.name}`] = expectedPods(w);
  const direct = () => {
    const out: Record<string, number> = {};
    for (const p of getJson(['-n', ns, 'pods']).items) {
      const o = p.metadata.ownerReferences?.find((r: any) => r.controller);
      if (o) out[`${o.kind}/${o.name}`] = (out[`${o.kind}/${o.name}`] ?? 0) + 1;
    }
    return out;
  };
  const end = Date.now() + deadlineSeconds * 1000;
  let actual: Record<string, number> = {};
  while (Date.now() < end) {
    actual = direct();
    if (Object.entries(expected).every(([k, n]) => (actual[k] ?? 0) >= n)) break;
    if (admissionEvents(ns).length > 0) break;
    await sleep(500);
  }
  return { expected, actual: Object.fromEntries(Object.keys(expected).sort().map((k) => [k, actual[k] ?? 0])) };
}
