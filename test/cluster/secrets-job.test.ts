/**
 * The secrets Job against a real API server, as its own ServiceAccount: the script the Job runs (its rendered
 * command, args and env) fills in the Secrets the release declares, and a second run changes nothing; with the same
 * token, nothing else is possible: no other Secret, no new Secret, no service-account-token Secret, no change of a
 * declared Secret's type.
 *
 * A control runs the same attack with the Role of the chart before this design (read the named Secrets, create any
 * Secret): the token Secret is created (201), the token controller fills it in, and it authenticates as the
 * scheduler's ServiceAccount. So the refusals below are the Role's doing, not a broken attack.
 */
import { CHART_DIR, apiCall, createSecret, getJson, helm, kubectl, ok, restrictedNamespace, secretWrites } from './kube';
import { declaredNames, runSecretsJob, runSecretsJobAsync, secretsJob, secretState, serviceAccountToken } from './secrets-job';
import { sleep } from '../integration/stack';

const NS = 'secrets-job';
const b64 = (s: string) => Buffer.from(s).toString('base64');
const decode = (s: string) => Buffer.from(s, 'base64').toString();

/**
 * POSTs a `kubernetes.io/service-account-token` Secret for `account` with `token`, then reads it back. It is named
 * like a Secret the generator may read (`name`): before the Job has run, that name is free.
 */
async function tokenSecretAttack(ns: string, token: string, account: string, name: string): Promise<{ create: number; read?: number; stolen?: string }> {
  const created = await apiCall(token, 'POST', `/api/v1/namespaces/${ns}/secrets`, {
    apiVersion: 'v1', kind: 'Secret', type: 'kubernetes.io/service-account-token',
    metadata: { name, annotations: { 'kubernetes.io/service-account.name': account } },
  });
  if (created.status !== 201) return { create: created.status };
  // The token controller fills the Secret in asynchronously.
  for (let i = 0; i < 120; i++) {
    const read = await apiCall(token, 'GET', `/api/v1/namespaces/${ns}/secrets/${name}`);
    if (read.status !== 200 || read.body.data?.token) return { create: created.status, read: read.status, stolen: read.body.data?.token && decode(read.body.data.token) };
    await sleep(250);
  }
  return { create: created.status, read: 200 };
}

/** Who the API server says a token is. */
async function whoAmI(token: string): Promise<string> {
  const r = await apiCall(token, 'POST', '/apis/authentication.k8s.io/v1/selfsubjectreviews', { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' });
  return r.body.status?.userInfo?.username ?? `HTTP ${r.status}`;
}

describe('the secrets Job as its ServiceAccount on a real API server', () => {
  let names: string[];

  beforeAll(() => {
    restrictedNamespace(NS);
    // Flower on: its Secret has a literal key (username) and a generated one.
    ok(helm(['install', 'airflow', CHART_DIR, '--namespace', NS, '--set', 'flower.enabled=true']));
    names = declaredNames(secretsJob(NS, 'airflow'));
  });

  test('the release declares each Secret empty and Opaque; the Role names exactly them, with get and patch only', () => {
    expect(names.sort()).toEqual(['airflow-admin', 'airflow-api-secret-key', 'airflow-fernet-key', 'airflow-flower', 'airflow-jwt-secret', 'airflow-postgres', 'airflow-redis']);
    const state = secretState(NS, names);
    expect(Object.keys(state).sort()).toEqual(names.sort());
    for (const s of Object.values(state)) expect({ type: s.type, data: s.data }).toEqual({ type: 'Opaque', data: {} });
    const role = getJson(['-n', NS, 'role', 'airflow-secrets']);
    expect(role.rules).toEqual([{ apiGroups: [''], resources: ['secrets'], verbs: ['get', 'patch'], resourceNames: expect.arrayContaining(names) }]);
    expect(role.rules[0].resourceNames).toHaveLength(names.length);
  });

  test('fills in every key, keeps a present one byte for byte, and a second run changes nothing', () => {
    // A Secret someone already filled in part of: its key must survive as is.
    ok(kubectl(['-n', NS, 'patch', 'secret', 'airflow-admin', '--type=merge', '-p', JSON.stringify({ data: { username: b64('ops-admin\n') } })]));
    const first = runSecretsJob(NS, 'airflow');
    expect(first.code).toBe(0);
    expect(first.out).toContain('filled in password of Secret airflow-admin');
    const after = secretState(NS, names);
    expect(decode(after['airflow-admin'].data.username)).toBe('ops-admin\n');
    expect(decode(after['airflow-admin'].data.password)).toMatch(/^[0-9a-f]{64}$/);
    expect(Buffer.from(decode(after['airflow-fernet-key'].data['fernet-key']), 'base64url')).toHaveLength(32);
    expect(decode(after['airflow-flower'].data.username)).toBe('admin');
    for (const n of ['airflow-jwt-secret', 'airflow-api-secret-key', 'airflow-postgres', 'airflow-redis']) {
      expect(Object.values(after[n].data).map(decode)).toEqual([expect.stringMatching(/^[0-9a-f]{64}$/)]);
    }
    // The Job wrote data only: type, labels and the keep annotation are the release's.
    const admin = getJson(['-n', NS, 'secret', 'airflow-admin']);
    expect(admin.metadata.annotations['helm.sh/resource-policy']).toBe('keep');
    expect(admin.metadata.annotations['meta.helm.sh/release-name']).toBe('airflow');

    const second = runSecretsJob(NS, 'airflow');
    expect(second.code).toBe(0);
    expect(second.out).not.toContain('filled in');
    expect(secretState(NS, names)).toEqual(after);
  });

  test('two runs at once (an old and a new Job after an upgrade) write each Secret once; a stale patch is refused (409)', async () => {
    const ns = 'secrets-job-race';
    restrictedNamespace(ns);
    ok(helm(['install', 'airflow', CHART_DIR, '--namespace', ns]));
    const declared = declaredNames(secretsJob(ns, 'airflow'));
    const [a, b] = await Promise.all([runSecretsJobAsync(ns, 'airflow'), runSecretsJobAsync(ns, 'airflow')]);
    expect([a.code, b.code]).toEqual([0, 0]);
    const state = secretState(ns, declared);
    for (const n of declared) {
      expect(Object.keys(state[n].data).length).toBeGreaterThan(0);
      // Exactly one successful write per Secret, by the Job's ServiceAccount: nobody overwrote the other's values.
      const sa = 'system:serviceaccount:secrets-job-race:airflow-secrets';
      expect({ n, writes: secretWrites(ns, n).filter((w) => w.endsWith(sa)) }).toEqual({ n, writes: [`patch by ${sa}`] });
    }
    // What makes that so: the script's patch carries the resourceVersion it read, and the API server refuses a stale one.
    const token = serviceAccountToken(ns, 'airflow-secrets');
    const stale = await apiCall(token, 'PATCH', `/api/v1/namespaces/${ns}/secrets/airflow-jwt-secret`,
      { metadata: { resourceVersion: '1' }, data: { other: b64('x') } }, 'application/merge-patch+json');
    expect(stale.status).toBe(409);
    expect(secretState(ns, declared)).toEqual(state);
  });

  test('with its token: another Secret, a new Secret, a token Secret, a listing and a type change are all refused', async () => {
    createSecret(NS, 'unrelated', { k: 'v' });
    const token = serviceAccountToken(NS, secretsJob(NS, 'airflow').spec.template.spec.serviceAccountName);
    const other = await apiCall(token, 'GET', `/api/v1/namespaces/${NS}/secrets/unrelated`);
    const release = await apiCall(token, 'GET', `/api/v1/namespaces/${NS}/secrets/sh.helm.release.v1.airflow.v1`);
    const list = await apiCall(token, 'GET', `/api/v1/namespaces/${NS}/secrets`);
    const create = await apiCall(token, 'POST', `/api/v1/namespaces/${NS}/secrets`, { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'new-one' }, stringData: { k: 'v' } });
    const attack = await tokenSecretAttack(NS, token, 'airflow-scheduler', 'stolen-scheduler-token');
    const patchOther = await apiCall(token, 'PATCH', `/api/v1/namespaces/${NS}/secrets/unrelated`, { data: { k: b64('x') } }, 'application/merge-patch+json');
    const retype = await apiCall(token, 'PATCH', `/api/v1/namespaces/${NS}/secrets/airflow-admin`,
      { type: 'kubernetes.io/service-account-token', metadata: { annotations: { 'kubernetes.io/service-account.name': 'airflow-scheduler' } } }, 'application/merge-patch+json');
    expect({
      other: other.status, release: release.status, list: list.status, create: create.status, tokenSecret: attack, patchOther: patchOther.status, retype: retype.status,
    }).toEqual({ other: 403, release: 403, list: 403, create: 403, tokenSecret: { create: 403 }, patchOther: 403, retype: 422 });
    expect(retype.body.message).toMatch(/field is immutable/);
    expect(getJson(['-n', NS, 'secret', 'airflow-admin']).type).toBe('Opaque');
    expect(kubectl(['-n', NS, 'get', 'secret', 'stolen-scheduler-token']).status).not.toBe(0);
  });

  test('control: the pre-fix Role (get named Secrets, create any Secret) lets the same token steal the scheduler\'s identity', async () => {
    const ns = 'secrets-job-prefix';
    restrictedNamespace(ns);
    ok(kubectl(['-n', ns, 'create', 'serviceaccount', 'airflow-scheduler']));
    ok(kubectl(['-n', ns, 'create', 'serviceaccount', 'airflow-secrets']));
    const role = {
      apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: 'airflow-secrets', namespace: ns },
      rules: [
        { apiGroups: [''], resources: ['secrets'], verbs: ['get'], resourceNames: ['airflow-fernet-key'] },
        { apiGroups: [''], resources: ['secrets'], verbs: ['create'] },
      ],
    };
    ok(kubectl(['apply', '-f', '-'], JSON.stringify(role)));
    ok(kubectl(['-n', ns, 'create', 'rolebinding', 'airflow-secrets', '--role=airflow-secrets', '--serviceaccount', `${ns}:airflow-secrets`]));
    const token = serviceAccountToken(ns, 'airflow-secrets');
    const attack = await tokenSecretAttack(ns, token, 'airflow-scheduler', 'airflow-fernet-key');
    expect({ create: attack.create, read: attack.read, stolen: attack.stolen ? 'a token' : 'none' }).toEqual({ create: 201, read: 200, stolen: 'a token' });
    expect(await whoAmI(attack.stolen!)).toBe(`system:serviceaccount:${ns}:airflow-scheduler`);
  });
});
