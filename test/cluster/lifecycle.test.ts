/**
 * A release's life on a real API server: `helm upgrade` with changed values and a changed image, re-applies the way
 * kubectl (client-side and server-side) and Argo CD (`helm template | kubectl apply`) do them, a second release in the
 * same namespace, `helm test`, `helm uninstall` and a reinstall. Throughout, the values the secrets Job generated stay
 * byte for byte what they were: no apply, upgrade or render wipes or rotates them, and a later Job run changes
 * nothing. The Job runs as its ServiceAccount on this machine (see secrets-job.ts); no kubelet runs.
 */
import { Testing } from 'cdk8s';
import { AirflowChart, ContainerImage } from '../../src';
import { Manifest } from '../util';
import {
  admissionEvents, apiCall, auditViolations, CHART_DIR, getJson, helm, kubectl, ok, restrictedNamespace, waitForReplicaSets,
  warnings, yamlStream,
} from './kube';
import { declaredNames, runSecretsJob, secretData, secretsJob, secretState, serviceAccountToken } from './secrets-job';

const UPGRADE = ['--set', 'images.airflow.tag=3.3.2-upgrade', '--set', 'scheduler.replicas=3', '--set', 'config.core.parallelism=64', '--set', 'flower.enabled=true'];

/** The Job runs, fills in what is missing, and a second run changes nothing (same resourceVersions). */
function runJobTwice(ns: string, release: string, names: string[]): void {
  expect(runSecretsJob(ns, release).code).toBe(0);
  const before = secretState(ns, names);
  const again = runSecretsJob(ns, release);
  expect(again.code).toBe(0);
  expect(again.out).not.toContain('filled in');
  expect(secretState(ns, names)).toEqual(before);
}

/** No FailedCreate, no PodSecurity audit finding, and every ReplicaSet, StatefulSet and Job got its Pods. */
async function expectAdmitted(ns: string): Promise<void> {
  const a = await waitForReplicaSets(ns);
  expect(admissionEvents(ns)).toEqual([]);
  expect(a.actual).toEqual(a.expected);
  expect(auditViolations(ns)).toEqual([]);
}

describe('helm upgrade, second release, helm test, uninstall and reinstall', () => {
  const ns = 'lifecycle';
  let names: string[];
  let generated: Record<string, Record<string, string>>;

  beforeAll(async () => {
    restrictedNamespace(ns);
    ok(helm(['install', 'airflow', CHART_DIR, '--namespace', ns]));
    names = declaredNames(secretsJob(ns, 'airflow'));
    runJobTwice(ns, 'airflow', names);
    generated = secretData(ns, names);
    expect(Object.keys(generated).sort()).toEqual([...names].sort());
    expect(Object.values(generated).every((d) => Object.keys(d).length > 0)).toBe(true);
  });

  test('helm upgrade with changed values and a changed image: no immutable-field error, every Pod admitted, Secrets unchanged', async () => {
    const r = helm(['upgrade', 'airflow', CHART_DIR, '--namespace', ns, ...UPGRADE]);
    expect({ status: r.status, immutable: /immutable/i.test(r.stdout + r.stderr) }).toEqual({ status: 0, immutable: false });
    expect(warnings(r)).toEqual([]);
    expect(getJson(['-n', ns, 'deployment', 'airflow-scheduler']).spec.template.spec.containers[0].image).toBe('apache/airflow:3.3.2-upgrade');
    await expectAdmitted(ns);
    // Flower's Secret is new: declared by the upgrade, filled in by the new Job; the others are kept byte for byte.
    const flowerNames = declaredNames(secretsJob(ns, 'airflow'));
    expect(flowerNames).toContain('airflow-flower');
    expect(secretData(ns, names)).toEqual(generated);
    runJobTwice(ns, 'airflow', flowerNames);
    expect(secretData(ns, names)).toEqual(generated);
    names = flowerNames;
    generated = secretData(ns, names);
  });

  test('a second release in the same namespace: no collision, its own Secrets, and its Job cannot read the first\'s', async () => {
    const r = ok(helm(['install', 'beta', CHART_DIR, '--namespace', ns]));
    expect(warnings(r)).toEqual([]);
    await expectAdmitted(ns);
    const betaNames = declaredNames(secretsJob(ns, 'beta'));
    expect(betaNames.every((n) => n.startsWith('beta-'))).toBe(true);
    runJobTwice(ns, 'beta', betaNames);
    expect(secretData(ns, names)).toEqual(generated);
    const betaToken = serviceAccountToken(ns, 'beta-secrets');
    expect((await apiCall(betaToken, 'GET', `/api/v1/namespaces/${ns}/secrets/airflow-fernet-key`)).status).toBe(403);
    ok(helm(['uninstall', 'beta', '--namespace', ns]));
  });

  test('helm test: the test Pod is admitted (it stays Pending without a kubelet, so helm waits in vain)', () => {
    const r = helm(['test', 'airflow', '--namespace', ns, '--timeout', '20s']);
    // The Pod was created; helm gave up waiting for it to finish, not because admission refused it.
    expect(r.stdout + r.stderr).not.toMatch(/forbidden|PodSecurity/i);
    const pod = getJson(['-n', ns, 'pod', 'airflow-test']);
    expect(pod.status.phase).toBe('Pending');
    expect(pod.metadata.annotations['helm.sh/hook']).toBe('test');
    expect(auditViolations(ns)).toEqual([]);
  });

  test('helm uninstall keeps the generated Secrets and the PostgreSQL volume claim; a reinstall reuses them', async () => {
    const pvc = 'data-airflow-postgres-0';
    expect(getJson(['-n', ns, 'pvc', pvc]).status.phase).toBe('Pending'); // no storage provisioner here
    ok(helm(['uninstall', 'airflow', '--namespace', ns]));
    expect(kubectl(['-n', ns, 'get', 'statefulset', 'airflow-postgres']).status).not.toBe(0);
    expect(kubectl(['-n', ns, 'get', 'deployment', 'airflow-scheduler']).status).not.toBe(0);
    expect(getJson(['-n', ns, 'pvc', pvc]).metadata.name).toBe(pvc);
    expect(secretData(ns, names)).toEqual(generated);

    const r = ok(helm(['install', 'airflow', CHART_DIR, '--namespace', ns, '--set', 'flower.enabled=true']));
    expect(warnings(r)).toEqual([]);
    expect(secretData(ns, names)).toEqual(generated);
    runJobTwice(ns, 'airflow', names);
    expect(secretData(ns, names)).toEqual(generated);
    await expectAdmitted(ns);
  });
});

describe('re-applies never wipe the generated values', () => {
  test('Argo CD style: helm template | kubectl apply (client-side), again with a changed image, then server-side', async () => {
    const ns = 'gitops';
    restrictedNamespace(ns);
    const render = (extra: string[] = []) => ok(helm(['template', 'airflow', CHART_DIR, '--namespace', ns, '--skip-tests', ...extra])).stdout;
    ok(kubectl(['apply', '-f', '-'], render()));
    const names = declaredNames(secretsJob(ns, 'airflow'));
    runJobTwice(ns, 'airflow', names);
    const generated = secretData(ns, names);
    expect(Object.values(generated).every((d) => Object.keys(d).length > 0)).toBe(true);

    ok(kubectl(['apply', '-f', '-'], render()));
    expect(secretData(ns, names)).toEqual(generated);
    const changed = render(['--set', 'images.airflow.tag=3.3.2-upgrade', '--set', 'scheduler.replicas=3']);
    const r = ok(kubectl(['apply', '-f', '-'], changed));
    expect(r.stderr).not.toMatch(/immutable/i);
    expect(secretData(ns, names)).toEqual(generated);
    runJobTwice(ns, 'airflow', names);
    expect(secretData(ns, names)).toEqual(generated);
    // Switching the same objects to server-side apply (kubectl moves the client-side fields to the new manager).
    ok(kubectl(['apply', '--server-side', '--force-conflicts', '-f', '-'], changed));
    expect(secretData(ns, names)).toEqual(generated);
    ok(kubectl(['apply', '-f', '-'], changed));
    expect(secretData(ns, names)).toEqual(generated);
    await expectAdmitted(ns);
  });

  test('cdk8s synth | kubectl apply --server-side, again with a changed image', async () => {
    const ns = 'synth-apply';
    restrictedNamespace(ns);
    const synth = (props: object = {}) => yamlStream(Testing.synth(new AirflowChart(Testing.app(), 'airflow', { namespace: ns, ...props })) as Manifest[]);
    ok(kubectl(['apply', '--server-side', '--field-manager=cluster-tier', '-f', '-'], synth()));
    const names = declaredNames(secretsJob(ns, 'airflow'));
    runJobTwice(ns, 'airflow', names);
    const generated = secretData(ns, names);
    expect(Object.values(generated).every((d) => Object.keys(d).length > 0)).toBe(true);

    ok(kubectl(['apply', '--server-side', '--field-manager=cluster-tier', '-f', '-'], synth()));
    expect(secretData(ns, names)).toEqual(generated);
    const r = ok(kubectl(['apply', '--server-side', '--field-manager=cluster-tier', '-f', '-'], synth({ image: ContainerImage.of('apache/airflow', '3.3.2-upgrade') })));
    expect(r.stderr).not.toMatch(/immutable/i);
    expect(secretData(ns, names)).toEqual(generated);
    runJobTwice(ns, 'airflow', names);
    expect(secretData(ns, names)).toEqual(generated);
    await expectAdmitted(ns);
    // The Job's writes are its own field manager's, never the applier's: the next apply has nothing to take back.
    const managers = getJson(['-n', ns, 'secret', 'airflow-fernet-key', '--show-managed-fields']).metadata.managedFields.map((f: any) => `${f.manager}/${f.operation}`);
    expect(managers.sort()).toEqual(['airflow-secrets-generator/Update', 'cluster-tier/Apply']);
  });
});
