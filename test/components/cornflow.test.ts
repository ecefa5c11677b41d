import {
  AirflowAuth, BuiltinRole, Cornflow, CornflowAuth, CornflowDatabase, Executor, IngressTls, LdapDirectory, MetadataDatabase,
  OidcProvider, SecretKeyRef, SslMode,
} from '../../src';
import { CORNFLOW_ROLE } from '../../src/components/cornflow';
import { containersOf, errorOf, find, findJob, Manifest, podTemplates, synthAirflow } from '../util';
import { LDAP_DIRECTORY_PROPS } from '../variants';

const directory = () => new LdapDirectory(LDAP_DIRECTORY_PROPS);
const ldapAuth = (extra: Record<string, string[]> = {}) => AirflowAuth.ldap({
  directory: directory(),
  roleMapping: { 'cn=admins,ou=groups,dc=example,dc=org': [BuiltinRole.ADMIN], ...extra },
});
const secret = (name: string) => SecretKeyRef.fromSecret(name, 'password');

describe('Cornflow bad input names the prop, the value and the fix', () => {
  const cases: [string, () => string, RegExp][] = [
    ['OIDC login in Airflow', () => errorOf({
      auth: AirflowAuth.oidc({ provider: OidcProvider.generic({ discoveryUrl: 'https://sso.example.org/.well-known/openid-configuration' }), clientId: 'a', clientSecret: secret('oidc'), defaultRole: 'Viewer' }),
      cornflow: Cornflow.enabled(),
    }), /cornflow needs Airflow's API with password login .* got auth 'oidc'/],
    ['an external Airflow database with the default (embedded) Cornflow database', () => errorOf({
      database: MetadataDatabase.external({ host: 'pg.example.com', password: secret('db'), sslMode: SslMode.REQUIRE }),
      cornflow: Cornflow.enabled(),
    }), /cornflow\.database defaults to a second database on the embedded PostgreSQL, but database is external/],
    ['an external Cornflow database without a password', () => errorOf({
      cornflow: Cornflow.enabled({ database: CornflowDatabase.external({ host: 'pg.example.com', password: undefined as any }) }),
    }), /CornflowDatabase\.external password is required/],
    ['verify-full without a CA', () => errorOf({
      cornflow: Cornflow.enabled({ database: CornflowDatabase.external({ host: 'pg.example.com', password: secret('cf-db') }) }),
    }), /caCertificate is required with sslMode 'verify-full'/],
    ['LDAP without TLS (StartTLS is never done by Cornflow)', () => errorOf({
      cornflow: Cornflow.enabled({
        auth: CornflowAuth.ldap({ directory: new LdapDirectory({ ...LDAP_DIRECTORY_PROPS, url: 'ldap://ldap.example.org', startTls: true }), roleGroups: { planner: 'planners' } }),
        serviceUser: { username: 'svc', password: secret('svc') },
      }),
    }), /uses StartTLS \('ldap:\/\/ldap\.example\.org'\), which Cornflow's LDAP client never does/],
    ['a role mapping to an unknown Cornflow role', () => errorOf({
      cornflow: Cornflow.enabled({ auth: CornflowAuth.ldap({ directory: directory(), roleGroups: { superuser: 'root' } as any }) }),
    }), /CornflowAuth\.ldap roleGroups: unknown Cornflow role 'superuser'; use viewer, planner, admin, service/],
    ['a role group given as a DN', () => errorOf({
      cornflow: Cornflow.enabled({ auth: CornflowAuth.ldap({ directory: directory(), roleGroups: { planner: 'cn=planners,ou=groups,dc=example,dc=org' } }) }),
    }), /roleGroups\.planner must be a group's cn \(not a DN\)/],
    ['LDAP without a service user password', () => errorOf({
      cornflow: Cornflow.enabled({ auth: CornflowAuth.ldap({ directory: directory(), roleGroups: { planner: 'planners' } }) }),
    }), /cornflow\.serviceUser\.username and \.password are required with CornflowAuth\.ldap/],
    ['LDAP in Airflow without an Airflow account for Cornflow', () => errorOf({
      auth: ldapAuth({ 'cn=cornflow,ou=groups,dc=example,dc=org': ['Cornflow'] }),
      cornflow: Cornflow.enabled(),
    }), /cornflow\.airflowUser\.username and \.password are required with AirflowAuth\.ldap/],
    ['the Cornflow role without Cornflow', () => errorOf({
      auth: ldapAuth({ 'cn=cornflow,ou=groups,dc=example,dc=org': ['Cornflow'] }),
    }), /names the role 'Cornflow', which exists only with cornflow: Cornflow\.enabled/],
    ['zero replicas', () => errorOf({ cornflow: Cornflow.enabled({ replicas: 0 }) }), /cornflow\.replicas must be an integer of at least 1, got 0; omit it to use the default \(2\)/],
  ];
  // Factories (CornflowAuth.ldap, CornflowDatabase.external) refuse before the chart is built; both count.
  test.each(cases)('refuses %s', (_, run, message) => {
    let text: string;
    try {
      text = run();
    } catch (e) {
      text = (e as Error).message;
    }
    expect(text).toMatch(message);
  });
});

const envNames = (c: any) => (c.env ?? []).map((e: any) => e.name);
const hasCfUri = (m: Manifest[]) => podTemplates(m)
  .filter((p) => p.spec.containers.some((c: any) => envNames(c).includes('AIRFLOW_CONN_CF_URI')))
  .map((p) => p.component).sort();

describe('Cornflow next to Airflow', () => {
  const m = synthAirflow({ cornflow: Cornflow.enabled() });

  test('the server: 2 replicas with a PodDisruptionBudget, its own UID, settings from Secrets only', () => {
    const d = find(m, 'Deployment', 'airflow-cornflow');
    expect(d.spec.replicas).toBe(2);
    const pdb = find(m, 'PodDisruptionBudget', 'airflow-cornflow').spec;
    expect(pdb.maxUnavailable ?? pdb.minAvailable).toBe(1);
    expect(d.spec.template.spec.securityContext.runAsUser).toBe(10003);
    const c = d.spec.template.spec.containers[0];
    const env = Object.fromEntries(c.env.map((e: any) => [e.name, e]));
    for (const name of ['SECRET_KEY', 'SECRET_BI_KEY', 'AIRFLOW_PWD', 'PGPASSWORD']) {
      expect({ name, inline: env[name].value, fromSecret: Boolean(env[name].valueFrom?.secretKeyRef?.name) }).toEqual({ name, inline: undefined, fromSecret: true });
    }
    expect(env.SECRET_KEY.valueFrom.secretKeyRef).toEqual({ name: 'airflow-cornflow', key: 'secret-key' });
    expect(env.AIRFLOW_PWD.valueFrom.secretKeyRef).toEqual({ name: 'airflow-cornflow', key: 'airflow-password' });
    expect(env.SIGNUP_ACTIVATED.value).toBe('0');
    expect(env.AUTH_TYPE.value).toBe('1');
    expect(env.AIRFLOW_URL.value).toBe('http://airflow-api-server:8080');
    expect(env.DATABASE_URL.value).not.toMatch(/:[^/@]*@/); // no password inside the URL: libpq reads PGPASSWORD
    expect(c.readinessProbe.httpGet.path).toBe('/health/');
    expect(c.livenessProbe.tcpSocket.port).toBe('http');
  });

  test('no documented default credential appears anywhere', () => {
    const text = JSON.stringify(m);
    for (const bad of ['Cornflow_admin1234', 'Service_user1234', 'admin:admin']) expect(text).not.toContain(bad);
  });

  test('the generated Secret is declared empty and filled in by the secrets Job', () => {
    const s = find(m, 'Secret', 'airflow-cornflow');
    expect(s.data ?? {}).toEqual({});
    expect(s.type).toBe('Opaque');
    const job = JSON.stringify(findJob(m, 'airflow-secrets'));
    for (const key of ['secret-key', 'secret-bi-key', 'admin-password', 'service-password', 'airflow-password']) expect(job).toContain(key);
  });

  test('its database and user on the embedded PostgreSQL come from an idempotent psql script on stdin', () => {
    const job = findJob(m, 'airflow-cornflow-db');
    const c = job.spec.template.spec.containers[0];
    expect(c.command[2]).toMatch(/printf '%s\\n' "\$CORNFLOW_SQL" \| psql .*-f -$/s);
    const sql = c.env.find((e: any) => e.name === 'CORNFLOW_SQL').value;
    expect(sql).toMatch(/WHERE NOT EXISTS \(SELECT FROM pg_roles WHERE rolname = :'user'\) \\gexec/);
    expect(sql).toMatch(/NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD :'password'/);
  });

  test('the Cornflow role in Airflow manages DAGs, runs, task instances and connections, and nothing about users, roles or configuration', () => {
    const perms = (CORNFLOW_ROLE.permissions ?? []).map((p) => `${p.action} ${p.resource}`);
    expect(perms).toEqual(expect.arrayContaining(['can_create DAG Runs', 'can_edit DAGs', 'can_edit Task Instances', 'can_create Connections']));
    expect(perms.filter((p) => /Users|Roles|Permissions|Config|Pools|Providers|Plugins/i.test(p))).toEqual([]);
    const job = JSON.stringify(findJob(m, 'airflow-cornflow-role'));
    for (const p of CORNFLOW_ROLE.permissions ?? []) expect(job).toContain(p.resource);
  });

  test.each([
    ['Celery: the workers', Executor.CELERY, ['worker']],
    ['LocalExecutor: the scheduler', Executor.LOCAL, ['scheduler']],
    ['KubernetesExecutor: the task pods', Executor.KUBERNETES, ['task']],
  ] as const)('CF_URI only where tasks run (%s)', (_, executor, expected) => {
    expect(hasCfUri(synthAirflow({ executor, cornflow: Cornflow.enabled() }))).toEqual(expected);
    expect(hasCfUri(synthAirflow({ executor }))).toEqual([]);
  });

  test('the Cornflow connection carries the service user and its password only by reference', () => {
    const worker = find(m, 'Deployment', 'airflow-worker').spec.template.spec.containers[0];
    const env = Object.fromEntries(worker.env.map((e: any) => [e.name, e]));
    expect(env.AIRFLOW_CONN_CF_URI.value).toBe('cornflow://service_user:$(CORNFLOW_SERVICE_PASSWORD)@airflow-cornflow:5000');
    expect(env.CORNFLOW_SERVICE_PASSWORD.valueFrom.secretKeyRef).toEqual({ name: 'airflow-cornflow', key: 'service-password' });
    for (const p of podTemplates(m).filter((t) => !['worker', 'cornflow-init'].includes(t.component))) {
      for (const c of containersOf(p.spec)) expect({ pod: p.component, has: envNames(c).includes('CORNFLOW_SERVICE_PASSWORD') }).toEqual({ pod: p.component, has: false });
    }
  });

  test('LDAP: the directory settings and every role group, ldaps only; no local users are created', () => {
    const out = synthAirflow({
      auth: ldapAuth({ 'cn=cornflow,ou=groups,dc=example,dc=org': ['Cornflow'] }),
      cornflow: Cornflow.enabled({
        auth: CornflowAuth.ldap({ roleGroups: { planner: 'planners', service: 'cornflow' } }),
        serviceUser: { username: 'cf-service', password: secret('cf-service') },
        airflowUser: { username: 'cf-airflow', password: secret('cf-airflow') },
        ingress: { host: 'cornflow.example.com', tls: IngressTls.fromSecret('cornflow-tls') },
      }),
    });
    const c = find(out, 'Deployment', 'airflow-cornflow').spec.template.spec.containers[0];
    const env = Object.fromEntries(c.env.map((e: any) => [e.name, e]));
    expect(env.AUTH_TYPE.value).toBe('2');
    expect(env.LDAP_HOST.value).toBe('ldaps://ldap.example.org');
    expect(env.LDAP_GROUP_TO_ROLE_PLANNER.value).toBe('planners');
    expect(env.LDAP_GROUP_TO_ROLE_SERVICE.value).toBe('cornflow');
    expect(env.LDAP_GROUP_TO_ROLE_ADMIN.value).toBe('');
    expect(env.LDAP_BIND_PASSWORD.valueFrom.secretKeyRef).toEqual({ name: 'ldap-bind', key: 'password' });
    expect(env.CORS_ORIGINS.value).toBe('https://cornflow.example.com');
    expect(env.AIRFLOW_USER.value).toBe('cf-airflow');
    expect(out.filter((x) => x.kind === 'Job' && x.metadata.name.startsWith('airflow-cornflow-user-'))).toEqual([]);
    const ing = find(out, 'Ingress', 'airflow-cornflow');
    expect(ing.spec.tls).toEqual([{ hosts: ['cornflow.example.com'], secretName: 'cornflow-tls' }]);
  });
});
