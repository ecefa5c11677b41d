/**
 * The emitted chart (charts/airflow) through the real helm binary: lint, and renders that must equal what the
 * constructs synthesize for the same values (examples, every optional component on and off, combinations),
 * meet the Pod Security Standards "restricted" profile, and keep two releases apart.
 */
import { readFileSync } from 'fs';
import { join } from 'path';
import { Testing } from 'cdk8s';
import { parse } from 'yaml';
import { EXAMPLES } from '../../examples';
import { AirflowChart } from '../../src';
import { mergeValues, Values } from '../../src/values/model';
import { propsFromValues } from '../../src/values/props';
import { checkRestricted, podsOf } from '../security/pss';
import { withTaskPods } from '../validate/manifest-sources';
import { Manifest } from '../util';
import { CHART_DIR, firstDifference, helm, helmTemplate, normalize } from './helm';

/** What the constructs give for values, named like a release. */
function synthValues(values: Values, release = 'airflow', namespace = 'airflow'): Manifest[] {
  const props = propsFromValues(values, { releaseName: release, namespace });
  return Testing.synth(new AirflowChart(Testing.app(), release, props)) as Manifest[];
}

const EXAMPLE_NAMESPACES: Record<string, string> = { default: 'airflow', minimal: 'airflow-minimal', production: 'airflow-prod', cornflow: 'optimization' };

/** Every optional component and relaxation toggled away from its default, and the knobs every component has. */
const TOGGLES: Record<string, Values> = {
  'flower': { flower: { enabled: true } },
  'metrics with extra mappings and its own scrapers': {
    metrics: { enabled: true, extraMappings: [{ match: 'airflow.my_plugin.*', name: 'airflow_my_plugin', labels: { id: '$1' } }], scrapeNamespaceLabels: { team: 'obs' }, scrapePodLabels: { app: 'prometheus' } },
  },
  'local executor': { executor: 'LocalExecutor' },
  'kubernetes executor with DAGs from a PVC': { executor: 'KubernetesExecutor', dags: { persistentVolumeClaim: 'dags' } },
  'ingress nginx with a TLS Secret': { ingress: { enabled: true, host: 'airflow.example.org', className: 'nginx', tls: { secretName: 'my-tls' } } },
  'ingress with a cert-manager Issuer': { ingress: { enabled: true, host: 'airflow.example.org', tls: { certManager: { issuer: 'my-issuer', kind: 'Issuer' } }, annotations: { 'example.org/a': 'b' } } },
  'external database (require) and Redis without TLS': {
    postgres: { enabled: false }, externalDatabase: { host: 'pg.example.org', port: 6543, database: 'af', user: 'af_user', password: { existingSecret: 'pg', key: 'pw' }, sslMode: 'require', caCertificate: { existingSecret: '' }, cidrs: ['10.9.0.0/16'] },
    redis: { enabled: false }, externalRedis: { host: 'redis.example.org', port: 7000, databaseIndex: 2, tls: false, password: { existingSecret: 'rd' } },
  },
  'external database (verify-ca) and Redis with TLS and a CA': {
    postgres: { enabled: false }, externalDatabase: { host: '10.1.2.3', sslMode: 'verify-ca', password: { existingSecret: 'pg' }, caCertificate: { existingSecret: 'pg-ca', key: 'root.pem' } },
    redis: { enabled: false }, externalRedis: { host: 'redis.example.org', password: { existingSecret: 'rd' }, caCertificate: { existingSecret: 'rd-ca' } },
  },
  'relaxations: no NetworkPolicies, writable root': { networkPolicy: { enabled: false }, security: { writableRootFilesystem: true } },
  'no admin user, tasks confined to the release': { adminUser: { enabled: false }, networkPolicy: { taskEgressCidrs: [] } },
  'every secret existing': {
    secrets: { fernetKey: { existingSecret: 'f' }, jwtSecret: { existingSecret: 'j' }, apiSecretKey: { existingSecret: 'k', key: 'key' } },
    postgres: { password: { existingSecret: 'p' } }, redis: { password: { existingSecret: 'r' } }, adminUser: { username: { existingSecret: 'a' }, password: { existingSecret: 'a' } },
  },
  'images from a registry, by digest, pulled always': {
    images: { airflow: { registry: 'registry.example.org:5000', repository: 'team/airflow', tag: '3.3.2-custom', digest: `sha256:${'e'.repeat(64)}`, pullPolicy: 'Always' }, redis: { tag: '7.4.12' } },
    imagePullSecrets: [{ name: 'pull' }],
  },
  'every workload knob': Object.fromEntries(['apiServer', 'scheduler', 'dagProcessor', 'triggerer', 'workers', 'postgres', 'redis'].map((c) => [c, {
    nodeSelector: { pool: c.toLowerCase() },
    tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'airflow', effect: 'NoSchedule' }],
    affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }] }] } } },
    topologySpreadConstraints: [{ maxSkew: 1, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'ScheduleAnyway', labelSelector: { matchLabels: { team: 'data' } } }],
    priorityClassName: 'high',
    podAnnotations: { 'example.org/owner': 'data' },
    podLabels: { team: 'data' },
    extraEnv: [{ name: 'TZ', value: 'UTC' }],
    extraVolumes: [{ name: 'extra', emptyDir: {} }],
    extraVolumeMounts: [{ name: 'extra', mountPath: '/extra' }],
    resources: { requests: { 'cpu': '300m', 'memory': '700Mi', 'ephemeral-storage': '100Mi' }, limits: { 'memory': '1400Mi', 'ephemeral-storage': '7000Mi' } },
  }])),
  'replicas, workers and jobs': {
    apiServer: { replicas: 1, workers: 4 }, scheduler: { replicas: 3 }, dagProcessor: { replicas: 2 }, triggerer: { replicas: 2 },
    workers: { replicas: 5, concurrency: 8, queues: ['default', 'gpu'], logVolumeSize: '2048Mi', terminationGracePeriodSeconds: 900 },
    jobs: { ttlSecondsAfterFinished: 600 }, postgres: { storageSize: '20480Mi', storageClassName: 'fast' },
  },
  'ldap: ldaps, CA, search account, group search, own attributes': {
    auth: {
      type: 'ldap', roleMapping: { 'cn=admins,ou=groups,dc=corp,dc=example': ['Admin'], 'cn=ops,ou=groups,dc=corp,dc=example': ['Op', 'Viewer'] },
      ldap: {
        url: 'ldaps://ldap.corp.example:1636', caCertificate: { existingSecret: 'corp-ca', key: 'root.pem' },
        bindDn: 'cn=airflow,ou=services,dc=corp,dc=example', bindPassword: { existingSecret: 'ldap-bind', key: 'pw' },
        userBase: 'ou=people,dc=corp,dc=example', usernameAttribute: 'sAMAccountName', userObjectClass: 'user', emailAttribute: 'userPrincipalName',
        groupBase: 'ou=groups,dc=corp,dc=example', groupObjectClass: 'group', groupMemberAttribute: 'uniqueMember',
      },
    },
  },
  'ldap: StartTLS, direct bind, memberOf, default role, no sync': {
    auth: { type: 'ldap', defaultRole: 'Viewer', syncRolesAtLogin: false, ldap: { url: 'ldap://10.0.0.7:1389', startTls: true, userBase: 'dc=example,dc=org', cidrs: ['10.0.0.7/32'] } },
  },
  'custom roles with an external database (own user and database)': {
    auth: { roles: [{ name: 'ops-lite', dags: [{ access: 'edit', tags: ['ops'] }] }] },
    postgres: { enabled: false },
    externalDatabase: { host: 'pg.example.org', port: 6543, database: 'af', user: 'af_user', password: { existingSecret: 'pg', key: 'pw' }, sslMode: 'verify-ca', caCertificate: { existingSecret: 'pg-ca', key: 'root.pem' } },
  },
  'ldap: insecure, posixGroup, no self-registration': {
    auth: {
      type: 'ldap', selfRegistration: false, roleMapping: { 'cn=ops,ou=groups,dc=example,dc=org': ['User'] },
      ldap: { url: 'ldap://ldap.example.org', allowInsecureLdap: true, bindDn: 'cn=ro,dc=example,dc=org', bindPassword: { existingSecret: 'ro' }, userBase: 'dc=example,dc=org', groupBase: 'ou=groups,dc=example,dc=org', groupObjectClass: 'posixGroup', groupMemberAttribute: 'memberUid' },
    },
  },
  'oidc: generic provider with its own claims': {
    auth: {
      type: 'oidc', roleMapping: { 'airflow-admins': ['Admin'] },
      oidc: { clientId: 'airflow', clientSecret: { existingSecret: 'oidc' }, scopes: ['openid', 'email', 'groups'], cidrs: ['192.0.2.0/24', '198.51.100.0/24'], generic: { discoveryUrl: 'https://sso.example.org:8443/realms/x/.well-known/openid-configuration', name: 'corp-sso', usernameClaim: 'email', groupsClaim: 'realm_access.roles' } },
    },
  },
  'oidc: Entra ID': {
    auth: { type: 'oidc', defaultRole: 'Viewer', oidc: { provider: 'azureEntraId', clientId: 'app-id', clientSecret: { existingSecret: 'entra', key: 'secret' }, azureEntraId: { tenantId: 'contoso.onmicrosoft.com', rolesClaim: 'groups' } } },
  },
  'oidc: Okta with an authorization server': {
    auth: { type: 'oidc', roleMapping: { Everyone: ['User'] }, oidc: { provider: 'okta', clientId: '0oa1', clientSecret: { existingSecret: 'okta' }, okta: { domain: 'corp.okta.com', authorizationServerId: 'aus9' } } },
  },
  'oidc: Keycloak': {
    auth: { type: 'oidc', roleMapping: { '/airflow/admins': ['Admin'] }, oidc: { provider: 'keycloak', clientId: 'airflow', clientSecret: { existingSecret: 'kc' }, keycloak: { url: 'https://kc.example.org/auth', realm: 'corp' } } },
  },
  'airflow config with Jinja': { config: { core: { parallelism: 64 }, logging: { log_filename_template: '{{ ti.dag_id }}/{{ ti.task_id }}/{{ try_number }}.log' }, api: { instance_name: 'Data "prod"' } }, extraConfig: { my_plugin: { greeting: 'Hello "prod" 100%' } } },
  'ldap: custom roles named in roleMapping and defaultRole': {
    auth: {
      type: 'ldap', roleMapping: { 'cn=team-a,ou=groups,dc=example,dc=org': ['team-a', 'Viewer'], 'cn=admins,ou=groups,dc=example,dc=org': ['Admin'] }, defaultRole: 'readers',
      roles: [
        { name: 'team-a', dags: [{ dagIds: ['billing', 'etl.daily'], access: 'read' }, { tags: ['équipe <a&b>', 'team-a'], access: 'trigger' }], permissions: [{ resource: 'Pools', action: 'can_read' }] },
        { name: 'readers', permissions: [{ action: 'menu_access', resource: 'Browse' }] },
      ],
      ldap: { url: 'ldaps://ldap.example.org', userBase: 'ou=people,dc=example,dc=org' },
    },
  },
  // Volumes of every type a restricted pod may use, env from every source, affinity, tolerations, spread (the
  // objects values.schema.json checks against the Kubernetes definitions), read as helm reads the file (YAML 1.1).
  'Kubernetes objects of every kind users pass': parse(readFileSync(join(__dirname, 'good-values-k8s-objects.yaml'), 'utf8'), { version: '1.1' }),
  // The login settings end the api-server's environment; the user's extraEnv follows them whatever the values.
  'ldap: default role, and extra environment on the api-server': {
    auth: { type: 'ldap', defaultRole: 'Viewer', ldap: { url: 'ldaps://ldap.example.org', userBase: 'dc=example,dc=org' } },
    apiServer: { extraEnv: [{ name: 'TZ', value: 'UTC' }, { name: 'HTTPS_PROXY', value: 'http://proxy.example.org:3128' }] },
  },
};

/** Combinations of three toggles each, where structure from several choices meets (Flower needs Celery). */
const COMBINATIONS: Record<string, Values> = {};
Object.keys(TOGGLES).forEach((name, i, names) => {
  const picks = [name, names[(i + 3) % names.length], names[(i + 7) % names.length]];
  // One login mode per combination: a later toggle's auth replaces the earlier one (merged, they would contradict).
  const values = picks.reduce((v, n) => ({ ...mergeValues(v, TOGGLES[n]), ...(TOGGLES[n].auth ? { auth: TOGGLES[n].auth } : {}) }), {} as Values);
  if (values.flower?.enabled && values.executor) values.executor = 'CeleryExecutor';
  COMBINATIONS[picks.join(' + ')] = values;
});

describe('helm chart', () => {
  test('helm lint --strict is clean with the defaults and with every example values file', () => {
    for (const args of [[], ...Object.keys(EXAMPLES).map((n) => ['--values', `examples/values/${n}.yaml`])]) {
      const r = helm(['lint', '--strict', CHART_DIR, ...args]);
      expect({ args, status: r.status, output: r.status === 0 ? '' : r.output }).toEqual({ args, status: 0, output: '' });
    }
  });

  test.each(Object.keys(EXAMPLES))('helm template with examples/values/%s.yaml equals cdk8s synth of the example', (name) => {
    const ns = EXAMPLE_NAMESPACES[name];
    const rendered = normalize(helmTemplate({ namespace: ns, files: [`examples/values/${name}.yaml`] }));
    const synthesized = normalize(Testing.synth(EXAMPLES[name](Testing.app())) as Manifest[]);
    expect(firstDifference(rendered, synthesized)).toBe('none');
    expect(rendered.length).toBeGreaterThan(25);
  });

  describe.each(Object.entries({ ...TOGGLES, ...COMBINATIONS }))('values: %s', (_name, values) => {
    let rendered: Manifest[];
    beforeAll(() => { rendered = helmTemplate({ values }); });

    test('renders what the constructs synthesize for the same values', () => {
      expect(firstDifference(normalize(rendered), normalize(synthValues(values)))).toBe('none');
    });

    test('every pod, task pods included, meets Pod Security Standards restricted (or only what a relaxation allows)', () => {
      const violations = podsOf(withTaskPods(rendered)).flatMap(({ owner, pod }) => checkRestricted(pod).map((v) => `${owner}: ${v.control} ${v.path}`));
      expect(violations).toEqual([]);
    });
  });

  test('two releases in one namespace: no object name collides, and every selector names its release', () => {
    const a = helmTemplate({ release: 'alpha' });
    const b = helmTemplate({ release: 'beta' });
    const ids = (l: Manifest[]) => l.map((m) => `${m.kind}/${m.metadata.name}`);
    expect(ids(a).filter((x) => ids(b).includes(x))).toEqual([]);
    for (const m of [...a, ...b]) {
      const selector = m.kind === 'Service' ? m.spec.selector : m.kind === 'NetworkPolicy' ? m.spec.podSelector.matchLabels : m.spec?.selector?.matchLabels;
      if (selector) expect({ id: `${m.kind}/${m.metadata.name}`, instance: selector['app.kubernetes.io/instance'] }).toEqual({ id: `${m.kind}/${m.metadata.name}`, instance: m.metadata.labels['app.kubernetes.io/instance'] });
    }
  });

  test('no secret value is rendered: Secrets are declared empty and generated in the cluster', () => {
    const out = helmTemplate({ values: TOGGLES['every workload knob'] });
    const secrets = out.filter((m) => m.kind === 'Secret');
    expect(secrets.length).toBeGreaterThan(0);
    expect(secrets.filter((m) => m.type !== 'Opaque' || m.data !== undefined || m.stringData !== undefined || m.metadata.annotations?.['helm.sh/resource-policy'] !== 'keep')).toEqual([]);
    const text = JSON.stringify(out);
    expect(text).not.toMatch(/"(password|fernet_key|secret_key|jwt_secret)"\s*:\s*"[^"$]/i);
  });

  test('pods restart when the Airflow config changes, and not otherwise', () => {
    // Airflow's pods (Redis's checksum is of its own configuration).
    const sums = (l: Manifest[]) => Object.fromEntries(l.filter((m) => m.kind === 'Deployment' && m.metadata.labels['app.kubernetes.io/component'] !== 'redis')
      .map((m) => [m.metadata.name, m.spec.template.metadata.annotations?.['checksum/config']]));
    const base = sums(helmTemplate());
    expect(sums(helmTemplate({ values: { apiServer: { podLabels: { a: 'b' } } } }))).toEqual(base);
    const changed = sums(helmTemplate({ values: { config: { core: { parallelism: 3 } } } }));
    expect(Object.values(base).filter((x) => x).length).toBeGreaterThanOrEqual(4);
    for (const [name, sum] of Object.entries(base)) expect({ name, same: changed[name] === sum }).toEqual({ name, same: false });
  });

  test('the helm test pod is hardened like every other pod and reaches only the api-server and DNS', () => {
    const all = helmTemplate({}, true);
    const hooks = all.filter((m) => m.metadata.annotations?.['helm.sh/hook'] === 'test');
    expect(hooks.map((m) => m.kind).sort()).toEqual(['NetworkPolicy', 'NetworkPolicy', 'Pod']);
    const pod = hooks.find((m) => m.kind === 'Pod')!;
    expect(checkRestricted({ metadata: pod.metadata, spec: pod.spec })).toEqual([]);
    const c = pod.spec.containers[0];
    expect(c.securityContext.readOnlyRootFilesystem).toBe(true);
    expect(c.resources.requests).toEqual({ 'cpu': expect.any(String), 'memory': expect.any(String), 'ephemeral-storage': expect.any(String) });
    expect(pod.spec.automountServiceAccountToken).toBe(false);
  });
});

test('helm package builds a versioned archive', () => {
  const dir = require('fs').mkdtempSync(require('path').join(require('os').tmpdir(), 'chart-'));
  const r = helm(['package', CHART_DIR, '--destination', dir]);
  expect(r.status).toBe(0);
  const version = /^version: (.+)$/m.exec(require('fs').readFileSync(`${CHART_DIR}/Chart.yaml`, 'utf8'))![1].replace(/"/g, '');
  expect(require('fs').readdirSync(dir)).toEqual([`airflow-${version}.tgz`]);
});
