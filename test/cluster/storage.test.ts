/**
 * What an upgrade cannot change about the embedded PostgreSQL. postgres.storageSize: a StatefulSet's
 * volumeClaimTemplates are immutable, so when helm talks to the cluster the chart compares the running StatefulSet's
 * size with the value (as quantities) and fails first with the resize procedure, instead of Kubernetes' generic
 * immutability error. postgres.runAsUser: the data directory belongs to the UID that created it.
 */
import { CHART_DIR, getJson, helm, kubectl, ok, restrictedNamespace } from './kube';

describe('postgres.storageSize on an existing release', () => {
  const ns = 'storage';
  const size = () => getJson(['-n', ns, 'statefulset', 'airflow-postgres']).spec.volumeClaimTemplates[0].spec.resources.requests.storage;

  beforeAll(() => {
    restrictedNamespace(ns);
    ok(helm(['install', 'airflow', CHART_DIR, '--namespace', ns]));
  });

  test('the API server keeps the size in canonical form (8192Mi is 8Gi), and the same quantity written either way upgrades', () => {
    expect(size()).toBe('8Gi');
    ok(helm(['upgrade', 'airflow', CHART_DIR, '--namespace', ns, '--set', 'postgres.storageSize=8Gi']));
    ok(helm(['upgrade', 'airflow', CHART_DIR, '--namespace', ns, '--set', 'postgres.storageSize=8388608Ki']));
  });

  test('a new size fails the upgrade with the value, both sizes and the resize procedure; nothing changes', () => {
    const revision = JSON.parse(ok(helm(['status', 'airflow', '--namespace', ns, '-o', 'json'])).stdout).version;
    const r = helm(['upgrade', 'airflow', CHART_DIR, '--namespace', ns, '--set', 'postgres.storageSize=16Gi']);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('postgres.storageSize: the PostgreSQL volume of this release is 8Gi and a StatefulSet cannot change it to 16Gi.');
    expect(r.stderr).toContain(`kubectl -n ${ns} patch pvc data-airflow-postgres-0 -p '{"spec":{"resources":{"requests":{"storage":"16Gi"}}}}'`);
    expect(r.stderr).toContain(`kubectl -n ${ns} delete statefulset airflow-postgres --cascade=orphan`);
    expect(r.stderr).not.toMatch(/Forbidden: updates to statefulset spec/);
    expect(JSON.parse(ok(helm(['status', 'airflow', '--namespace', ns, '-o', 'json'])).stdout).version).toBe(revision);
    expect(size()).toBe('8Gi');
  });

  test('once the StatefulSet is orphaned (the procedure\'s second step: expanding the claim needs a storage provisioner, which this cluster has not), the upgrade applies the new size', () => {
    ok(helm(['upgrade', 'airflow', CHART_DIR, '--namespace', ns, '--set', 'postgres.storageSize=8Gi']));
    ok(kubectl(['-n', ns, 'delete', 'statefulset', 'airflow-postgres', '--cascade=orphan']));
    ok(helm(['upgrade', 'airflow', CHART_DIR, '--namespace', ns, '--set', 'postgres.storageSize=16Gi']));
    expect(size()).toBe('16Gi');
  });

  test('helm template never asks the cluster: the new size renders', () => {
    const r = ok(helm(['template', 'airflow', CHART_DIR, '--namespace', ns, '--set', 'postgres.storageSize=16Gi']));
    expect(r.stdout).toContain('storage: "16Gi"');
  });
});

describe('postgres.runAsUser on an existing release', () => {
  const ns = 'postgres-uid';

  beforeAll(() => {
    restrictedNamespace(ns);
    // A release first installed as the image's own user (charts before UIDs of 10000 or more).
    ok(helm(['install', 'airflow', CHART_DIR, '--namespace', ns, '--set', 'postgres.runAsUser=999', '--set', 'postgres.runAsGroup=999']));
  });

  test('an upgrade to another UID fails, naming the UID that owns the data and the values that keep it', () => {
    // --reset-values: without values, helm upgrade would reuse the release's (runAsUser 999).
    const r = helm(['upgrade', 'airflow', CHART_DIR, '--namespace', ns, '--reset-values']);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('postgres.runAsUser: the data directory of this release belongs to UID 999; PostgreSQL refuses to run as 10001; '
      + 'set postgres.runAsUser=999 and postgres.runAsGroup=999');
  });

  test('with the UID kept, the upgrade goes through', () => {
    ok(helm(['upgrade', 'airflow', CHART_DIR, '--namespace', ns, '--reuse-values', '--set', 'scheduler.replicas=2']));
    expect(getJson(['-n', ns, 'statefulset', 'airflow-postgres']).spec.template.spec.securityContext.runAsUser).toBe(999);
  });
});
