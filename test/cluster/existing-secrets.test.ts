/**
 * A Secret the values name (`existingSecret`) must exist, with its key, when helm talks to a cluster: `helm install`
 * and `helm upgrade` fail with the value's path, the Secret and the namespace (templates/validate.yaml, Helm
 * `lookup`). Under `helm template` lookup has no cluster and returns nothing, so GitOps renders stay silent.
 */
import { CHART_DIR, createSecret, helm, ok, restrictedNamespace } from './kube';

describe('existingSecret values are checked against the cluster', () => {
  const ns = 'existing-secrets';
  const values = ['--set', 'secrets.fernetKey.existingSecret=my-fernet', '--set', 'secrets.fernetKey.key=key'];

  beforeAll(() => restrictedNamespace(ns));

  test('helm install fails when the Secret does not exist, naming the value, the Secret and the namespace', () => {
    const r = helm(['install', 'airflow', CHART_DIR, '--namespace', ns, ...values]);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain(`secrets.fernetKey.existingSecret: Secret 'my-fernet' does not exist in namespace '${ns}'`);
    expect(helm(['list', '--namespace', ns, '--short']).stdout.trim()).toBe('');
  });

  test('helm template of the same values is silent (no cluster, no lookup)', () => {
    const r = ok(helm(['template', 'airflow', CHART_DIR, '--namespace', ns, ...values]));
    expect(r.stdout).toContain('name: "my-fernet"');
  });

  test('helm install fails when the Secret lacks the key, and succeeds once it is there; helm upgrade checks again', () => {
    createSecret(ns, 'my-fernet', { other: 'x' });
    const noKey = helm(['install', 'airflow', CHART_DIR, '--namespace', ns, ...values]);
    expect(noKey.status).not.toBe(0);
    expect(noKey.stderr).toContain(`secrets.fernetKey.existingSecret: Secret 'my-fernet' in namespace '${ns}' has no key 'key'`);

    ok(helm(['upgrade', '--install', 'airflow', CHART_DIR, '--namespace', ns, ...values, '--set-string', 'secrets.fernetKey.key=other']));
    const upgrade = helm(['upgrade', 'airflow', CHART_DIR, '--namespace', ns, '--set', 'secrets.jwtSecret.existingSecret=my-jwt']);
    expect(upgrade.status).not.toBe(0);
    expect(upgrade.stderr).toContain(`secrets.jwtSecret.existingSecret: Secret 'my-jwt' does not exist in namespace '${ns}'`);
  });
});
