/**
 * Installs on a real API server with Pod Security `restricted` enforced (and warned and audited): `helm install` of
 * charts/airflow with several configurations, and `kubectl apply --server-side` of each example's `cdk8s synth`
 * output. Every Pod the controllers create (Deployments through their ReplicaSets, the StatefulSet, the Jobs) must be
 * admitted: as many Pods per workload as it asks for, no FailedCreate event, no PodSecurity audit finding and no
 * warning in helm's or kubectl's output. A control proves that these checks see a violating workload.
 */
import { readFileSync } from 'fs';
import { join } from 'path';
import { Testing } from 'cdk8s';
import { parse, parseAllDocuments } from 'yaml';
import { EXAMPLES } from '../../examples';
import { chartAllOnValues } from '../bench/all-on';
import { Manifest } from '../util';
import {
  Admission, admissionEvents, apiCall, auditViolations, CHART_DIR, createSecret, getJson, helm, kubectl, ok, restrictedNamespace,
  waitForPods, warnings, workloadsOf, yamlStream,
} from './kube';
import { serviceAccountToken } from './secrets-job';

interface HelmConfig {
  readonly files?: string[];
  readonly values?: object;
  /** Secrets the values name, created before the install. */
  readonly secrets?: Record<string, Record<string, string>>;
}

const PEM = '-----BEGIN CERTIFICATE-----\nnot checked by Kubernetes\n-----END CERTIFICATE-----';

const CONFIGS: Record<string, HelmConfig> = {
  'default values': {},
  'examples/values/production.yaml': {
    files: ['examples/values/production.yaml'],
    secrets: { 'airflow-db': { password: 'db' }, 'airflow-db-ca': { 'ca.crt': PEM }, 'airflow-redis': { password: 'redis' }, 'airflow-redis-ca': { 'ca.crt': PEM } },
  },
  'every optional component on': { values: chartAllOnValues(parse(readFileSync(join(CHART_DIR, 'values.yaml'), 'utf8'))).values },
  'LocalExecutor': { values: { executor: 'LocalExecutor' } },
  'KubernetesExecutor': { values: { executor: 'KubernetesExecutor' } },
  'LDAP login': {
    values: {
      auth: {
        type: 'ldap', roleMapping: { 'cn=airflow-admins,ou=groups,dc=example,dc=org': ['Admin'] },
        roles: [{ name: 'team-a', dags: [{ tags: ['team-a'], access: 'trigger' }] }],
        ldap: {
          url: 'ldaps://ldap.example.org', caCertificate: { existingSecret: 'ldap-ca' }, bindDn: 'cn=airflow,ou=services,dc=example,dc=org',
          bindPassword: { existingSecret: 'ldap-bind' }, userBase: 'ou=people,dc=example,dc=org', groupBase: 'ou=groups,dc=example,dc=org',
        },
      },
    },
    secrets: { 'ldap-ca': { 'ca.crt': PEM }, 'ldap-bind': { password: 'bind' } },
  },
  'OIDC login': {
    values: {
      auth: {
        type: 'oidc', roleMapping: { 'airflow-admins': ['Admin'] }, defaultRole: 'Viewer',
        oidc: { provider: 'keycloak', clientId: 'airflow', clientSecret: { existingSecret: 'airflow-oidc' }, keycloak: { url: 'https://sso.example.org', realm: 'corp' } },
      },
    },
    secrets: { 'airflow-oidc': { 'client-secret': 'oidc' } },
  },
};

/** Pods admitted per configuration, printed at the end for the record. */
const admitted: Record<string, Admission> = {};

afterAll(() => {
  const lines = Object.entries(admitted).map(([name, a]) => {
    const total = Object.values(a.actual).reduce((x, y) => x + y, 0);
    return `  ${name}: ${total} pods admitted (${Object.entries(a.actual).map(([w, n]) => `${w} ${n}`).join(', ')})`;
  });
  process.stdout.write(`\nPods created by the controllers and admitted under Pod Security restricted:\n${lines.join('\n')}\n`);
});

/** The checks every installation must pass in its namespace. */
async function expectAllAdmitted(name: string, ns: string): Promise<Admission> {
  const a = await waitForPods(ns);
  admitted[name] = a;
  expect(admissionEvents(ns)).toEqual([]);
  expect(a.actual).toEqual(a.expected);
  expect(Object.keys(a.expected).length).toBeGreaterThan(0);
  expect(auditViolations(ns)).toEqual([]);
  return a;
}

describe('helm install under Pod Security restricted', () => {
  const slug = (s: string) => `helm-${s.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '')}`.slice(0, 50);

  test.each(Object.keys(CONFIGS))('%s: every Pod is admitted, no warning', async (name) => {
    const config = CONFIGS[name];
    const ns = slug(name);
    restrictedNamespace(ns);
    for (const [secret, data] of Object.entries(config.secrets ?? {})) createSecret(ns, secret, data);
    const args = ['install', 'airflow', CHART_DIR, '--namespace', ns, ...(config.files ?? []).flatMap((f) => ['--values', f])];
    if (config.values) args.push('--values', '-');
    const r = ok(helm(args, config.values ? JSON.stringify(config.values) : undefined));
    expect(warnings(r)).toEqual([]);
    const a = await expectAllAdmitted(name, ns);
    // The workloads checked are every one the release rendered.
    const rendered = parseAllDocuments(ok(helm(['get', 'manifest', 'airflow', '--namespace', ns])).stdout).map((d) => d.toJSON());
    expect(Object.keys(a.expected).sort()).toEqual(workloadsOf(rendered));
  });

  test('KubernetesExecutor: the scheduler, with its own token, creates a task Pod from pod_template.yaml, and it is admitted', async () => {
    const ns = slug('KubernetesExecutor');
    const template = parse(getJson(['-n', ns, 'configmap', 'airflow-config']).data['pod_template.yaml']);
    const pod = { ...template, metadata: { ...template.metadata, name: 'task-from-template', namespace: ns } };
    const token = serviceAccountToken(ns, 'airflow-scheduler');
    const r = await apiCall(token, 'POST', `/api/v1/namespaces/${ns}/pods`, pod);
    expect({ status: r.status, message: r.body?.message }).toEqual({ status: 201, message: undefined });
    expect(auditViolations(ns)).toEqual([]);
  });
});

describe('kubectl apply --server-side of every example under Pod Security restricted', () => {
  test.each(Object.keys(EXAMPLES))('example %s: every Pod is admitted, no warning', async (name) => {
    const objects = Testing.synth(EXAMPLES[name](Testing.app())) as Manifest[];
    const namespaces = [...new Set(objects.map((o) => o.metadata.namespace as string))];
    expect(namespaces).toHaveLength(1);
    const ns = namespaces[0];
    restrictedNamespace(ns);
    const r = ok(kubectl(['apply', '--server-side', '--field-manager=cluster-tier', '-f', '-'], yamlStream(objects)));
    expect(warnings(r)).toEqual([]);
    const a = await expectAllAdmitted(`example ${name} (kubectl apply --server-side)`, ns);
    expect(Object.keys(a.expected).sort()).toEqual(workloadsOf(objects));
  });
});

describe('the admission checks see a violation (control)', () => {
  test('a privileged, root Deployment: a client warning, an audit finding, a FailedCreate event and no Pod', async () => {
    const ns = 'control-violation';
    restrictedNamespace(ns);
    const bad = {
      apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'bad', namespace: ns },
      spec: {
        replicas: 1, selector: { matchLabels: { app: 'bad' } },
        template: { metadata: { labels: { app: 'bad' } }, spec: { containers: [{ name: 'c', image: 'busybox:1.36', securityContext: { privileged: true, runAsUser: 0 } }] } },
      },
    };
    const r = ok(kubectl(['apply', '-f', '-'], JSON.stringify(bad)));
    expect(warnings(r).join('\n')).toMatch(/would violate PodSecurity "restricted:latest"/);
    const a = await waitForPods(ns);
    expect(a).toEqual({ expected: { 'Deployment/bad': 1 }, actual: { 'Deployment/bad': 0 } });
    expect(admissionEvents(ns).join('\n')).toMatch(/FailedCreate: .*forbidden: violates PodSecurity "restricted:latest"/);
    expect(auditViolations(ns).join('\n')).toMatch(/privileged/);
  });
});
