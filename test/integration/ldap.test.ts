/**
 * LDAP login, group -> role mapping and per-DAG custom roles against real software: OpenLDAP (slapd, StartTLS with
 * a test CA), PostgreSQL and the Airflow 3.3.2 api-server, started with exactly the airflow.cfg and
 * webserver_config.py the constructs generate. Also imports the generated OIDC configuration into Airflow's FAB app.
 * Everything listens on loopback and is removed afterwards. Tools: .ci/tools/auth-stack.sh.
 */
import { spawnSync } from 'child_process';
import { randomBytes } from 'crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'fs';
import { join } from 'path';
import { Testing } from 'cdk8s';
import {
  AirflowAuth, AirflowChart, AirflowChartProps, BuiltinRole, DagAccess, DagGrant, LdapDirectory, OidcProvider,
  SecretKeyRef,
} from '../../src';
import { authStack, freePort, httpJson, Stack, waitFor } from './stack';

const SUFFIX = 'dc=example,dc=org';
const BIND_DN = `cn=airflow-bind,ou=services,${SUFFIX}`;
const BIND_PASSWORD = `bind-${randomBytes(6).toString('hex')}`;
const PASSWORDS = { alice: 'alice-pw-1', bob: 'bob-pw-2', carol: 'carol-pw-3', dave: 'dave-pw-4' };
const GROUP = (cn: string) => `cn=${cn},ou=groups,${SUFFIX}`;

function seedLdif(): string {
  const user = (uid: string, given: string) => [
    `dn: uid=${uid},ou=people,${SUFFIX}`, 'objectClass: inetOrgPerson', `uid: ${uid}`, `cn: ${given} Tester`,
    `givenName: ${given}`, 'sn: Tester', `mail: ${uid}@example.org`, `userPassword: ${(PASSWORDS as any)[uid]}`, '',
  ];
  const group = (cn: string, members: string[]) => [
    `dn: ${GROUP(cn)}`, 'objectClass: groupOfNames', `cn: ${cn}`, ...members.map((m) => `member: uid=${m},ou=people,${SUFFIX}`), '',
  ];
  return [
    `dn: ${SUFFIX}`, 'objectClass: dcObject', 'objectClass: organization', 'dc: example', 'o: Example', '',
    `dn: ou=people,${SUFFIX}`, 'objectClass: organizationalUnit', 'ou: people', '',
    `dn: ou=groups,${SUFFIX}`, 'objectClass: organizationalUnit', 'ou: groups', '',
    `dn: ou=services,${SUFFIX}`, 'objectClass: organizationalUnit', 'ou: services', '',
    `dn: ${BIND_DN}`, 'objectClass: organizationalRole', 'objectClass: simpleSecurityObject', 'cn: airflow-bind', `userPassword: ${BIND_PASSWORD}`, '',
    ...user('alice', 'Alice'), ...user('bob', 'Bob'), ...user('carol', 'Carol'), ...user('dave', 'Dave'),
    ...group('airflow-admins', ['alice']), ...group('airflow-viewers', ['bob']), ...group('team-a', ['dave']),
    ...group('unrelated', ['carol']),
  ].join('\n');
}

const DAGS = `
from airflow.sdk import DAG
from airflow.providers.standard.operators.empty import EmptyOperator

for dag_id, tags in (("alpha", []), ("beta", ["team-b"]), ("gamma", [])):
    with DAG(dag_id, schedule=None, tags=tags, is_paused_upon_creation=True) as dag:
        EmptyOperator(task_id="noop")
    globals()[dag_id] = dag
`;

/** The chart under test: its ConfigMap, the api-server's secret mounts and the role-sync Job. */
function synthesize(props: AirflowChartProps) {
  const manifests = Testing.synth(new AirflowChart(Testing.app(), 'airflow', { namespace: 'airflow', ...props })) as any[];
  const cm = manifests.find((m) => m.kind === 'ConfigMap' && m.metadata.name === 'airflow-config');
  const api = manifests.find((m) => m.kind === 'Deployment' && m.metadata.name === 'airflow-api-server');
  const sync = manifests.find((m) => m.kind === 'Job' && m.metadata.name.startsWith('airflow-sync-roles-'));
  return { manifests, cm, api, sync };
}

/** Places each Secret the api-server mounts under `<home>/secrets/...`, as the pod's mounts would. */
function placeSecrets(api: any, home: string, values: Record<string, string>) {
  const pod = api.spec.template.spec;
  const main = pod.containers.find((c: any) => c.name === 'api-server');
  for (const m of main.volumeMounts) {
    if (!m.mountPath.startsWith('/opt/airflow/secrets/')) continue;
    const vol = pod.volumes.find((v: any) => v.name === m.name);
    const dir = join(home, m.mountPath.slice('/opt/airflow/'.length));
    mkdirSync(dir, { recursive: true });
    for (const item of vol.secret.items) writeFileSync(join(dir, item.path), values[`${vol.secret.secretName}/${item.key}`]);
  }
}

/**
 * The api-server's login settings (plain environment variables: LDAP_*, OAUTH_*, AUTH_*), with the pod's
 * `/opt/airflow/` (where secrets are mounted) pointed at `home`, as placeSecrets lays them out.
 */
function loginEnv(api: any, home: string): Record<string, string> {
  const main = api.spec.template.spec.containers.find((c: any) => c.name === 'api-server');
  const out: Record<string, string> = {};
  for (const e of main.env) {
    if (e.value !== undefined && /^(LDAP|OAUTH|AUTH)_/.test(e.name)) out[e.name] = e.value.replace(/^\/opt\/airflow\//, `${home}/`);
  }
  return out;
}

const stack = new Stack(authStack());
const env: Record<string, string> = {};
let apiUrl = '';
let syncJob: any;
let configMap: any;
let ldapHome: { cm: any; api: any; ca: string };

function airflow(args: string[], extraEnv: Record<string, string> = {}, timeoutMs = 300_000): string {
  const r = spawnSync(stack.tools.airflow, args, { env: { ...env, ...extraEnv }, encoding: 'utf-8', timeout: timeoutMs });
  if (r.status !== 0) throw new Error(`airflow ${args.join(' ')} failed (${r.status}):\n${(r.stdout + r.stderr).slice(-4000)}`);
  return r.stdout;
}

function python(code: string, extraEnv: Record<string, string> = {}): string {
  const r = spawnSync(stack.tools.python, ['-c', code], { env: { ...env, ...extraEnv }, encoding: 'utf-8', timeout: 300_000 });
  if (r.status !== 0) throw new Error(`python failed (${r.status}):\n${(r.stdout + r.stderr).slice(-4000)}`);
  return r.stdout;
}

/** Runs the role-sync Job's container command with the Job's own environment. */
function runSyncJob(): any[] {
  const c = syncJob.spec.template.spec.containers[0];
  expect(c.args.slice(0, 2)).toEqual(['python', '-c']);
  const spec = c.env.find((e: any) => e.name === 'ROLES_SPEC').value;
  return python(c.args[2], { ROLES_SPEC: spec }).split('\n').filter((l) => l.startsWith('sync-roles ')).map((l) => JSON.parse(l.slice(11)));
}

/** One request without keep-alive (no socket outlives the test). */
const http = (method: string, path: string, token?: string, body?: unknown) => httpJson(apiUrl, method, path, token, body);

async function token(user: string, password: string): Promise<{ status: number; token?: string }> {
  const r = await http('POST', '/auth/token', undefined, { username: user, password });
  return { status: r.status, token: r.json?.access_token };
}

const started = Date.now();
const timings: Record<string, number> = {};
const mark = (what: string, since: number) => { timings[what] = Math.round((Date.now() - since) / 100) / 10; };

beforeAll(async () => {
  const [ldapPort, pgPort, apiPort] = [await freePort(), await freePort(), await freePort()];
  const tls = stack.makeCertificates();
  let t = Date.now();
  await Promise.all([
    stack.startSlapd(ldapPort, SUFFIX, `cn=admin,${SUFFIX}`, randomBytes(8).toString('hex'), seedLdif(), tls),
    stack.startPostgres(pgPort),
  ]);
  mark('slapd+postgres', t);

  // GIVEN the constructs' LDAP auth: StartTLS with a CA from a Secret, a search account, groups by search.
  const auth = AirflowAuth.ldap({
    directory: new LdapDirectory({
      url: `ldap://127.0.0.1:${ldapPort}`,
      startTls: true,
      caCertificate: SecretKeyRef.fromSecret('ldap-ca', 'ca.crt'),
      bindDn: BIND_DN,
      bindPassword: SecretKeyRef.fromSecret('ldap-bind', 'password'),
      userBase: `ou=people,${SUFFIX}`,
      groupBase: `ou=groups,${SUFFIX}`,
    }),
    roleMapping: {
      [GROUP('airflow-admins')]: [BuiltinRole.ADMIN],
      [GROUP('airflow-viewers')]: [BuiltinRole.VIEWER],
      [GROUP('team-a')]: ['team-a'],
    },
    roles: [{
      name: 'team-a',
      dags: [DagGrant.dags(['alpha'], DagAccess.READ), DagGrant.tagged(['team-b'], DagAccess.TRIGGER)],
    }],
  });
  const { cm, api, sync } = synthesize({ auth });
  configMap = cm;
  syncJob = sync;
  const home = stack.path('airflow');
  mkdirSync(join(home, 'dags'), { recursive: true });
  writeFileSync(join(home, 'airflow.cfg'), cm.data['airflow.cfg']);
  writeFileSync(join(home, 'webserver_config.py'), cm.data['webserver_config.py']);
  writeFileSync(join(home, 'dags', 'dags.py'), DAGS);
  placeSecrets(api, home, { 'ldap-ca/ca.crt': readFileSync(tls.ca, 'utf-8'), 'ldap-bind/password': BIND_PASSWORD });
  ldapHome = { cm, api, ca: tls.ca };

  // The pod's environment, pointed at loopback: only what release.env() injects from Secrets.
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('AIRFLOW')) env[k] = v;
  Object.assign(env, {
    AIRFLOW_HOME: home,
    AIRFLOW__DATABASE__SQL_ALCHEMY_CONN: `postgresql+psycopg2://airflow:unused@127.0.0.1:${pgPort}/airflow?sslmode=disable`,
    AIRFLOW__CORE__FERNET_KEY: randomBytes(32).toString('base64').replace(/\+/g, '-').replace(/\//g, '_'),
    AIRFLOW__API_AUTH__JWT_SECRET: randomBytes(32).toString('hex'),
    AIRFLOW__API__SECRET_KEY: randomBytes(32).toString('hex'),
    // Loopback only (the pod listens on all interfaces of its own network namespace).
    AIRFLOW__API__HOST: '127.0.0.1',
    PYTHONDONTWRITEBYTECODE: '1',
    ...loginEnv(api, home),
  });

  t = Date.now();
  airflow(['db', 'migrate']);
  mark('db migrate', t);
  t = Date.now();
  airflow(['dags', 'reserialize']);
  mark('dags reserialize', t);

  // The api-server exactly as the Deployment runs it, on a free port.
  const c = api.spec.template.spec.containers[0];
  expect(c.args.slice(0, 2)).toEqual(['airflow', 'api-server']);
  const args = c.args.slice(1).map((a: string, i: number, all: string[]) => (all[i - 1] === '--port' ? String(apiPort) : a));
  t = Date.now();
  const log = stack.start('api-server', stack.tools.airflow, args, { env });
  apiUrl = `http://127.0.0.1:${apiPort}`;
  await waitFor('api-server', 180, async () => (await http('GET', '/api/v2/version')).status === 200, log);
  mark('api-server start', t);
}, 15 * 60_000);

afterAll(async () => {
  await stack.stop();
  // eslint-disable-next-line no-console
  console.log(`auth integration timings (s): ${JSON.stringify({ ...timings, total: Math.round((Date.now() - started) / 1000) })}`);
}, 60_000);

describe('generated LDAP configuration', () => {
  test('holds no secret: the bind password is read from the mounted file', () => {
    expect(configMap.data['webserver_config.py']).not.toContain(BIND_PASSWORD);
    expect(JSON.stringify(ldapHome.api)).not.toContain(BIND_PASSWORD);
    expect(configMap.data['webserver_config.py']).toContain('AUTH_LDAP_BIND_PASSWORD = _read("LDAP_BIND_PASSWORD_FILE")');
  });
});

describe('custom roles', () => {
  test('the sync Job creates the role, resolves tags, and a second run changes nothing', () => {
    const first = runSyncJob();
    expect(first).toHaveLength(1);
    expect(first[0].role).toBe('team-a');
    const perDag = first[0].added.filter(([, r]: string[]) => r.startsWith('DAG:') || r.startsWith('DAG Run:'));
    expect(perDag).toEqual([['can_create', 'DAG Run:beta'], ['can_edit', 'DAG:beta'], ['can_read', 'DAG:alpha'], ['can_read', 'DAG:beta']]);
    const second = runSyncJob();
    expect(second[0]).toMatchObject({ role: 'team-a', created: false, added: [], removed: [] });
  }, 120_000);
});

describe('LDAP login through POST /auth/token', () => {
  let adminToken: string;

  test('a user of the admin group logs in and is Admin', async () => {
    const r = await token('alice', PASSWORDS.alice);
    expect(r.status).toBe(201);
    adminToken = r.token!;
    const me = await http('GET', '/auth/fab/v1/users/alice', adminToken);
    expect(me.status).toBe(200);
    expect(me.json.roles.map((x: any) => x.name)).toEqual(['Admin']);
    expect(me.json).toMatchObject({ first_name: 'Alice', last_name: 'Tester', email: 'alice@example.org' });
  });

  test('a user of the viewer group is a Viewer: reads, and is refused a write', async () => {
    const r = await token('bob', PASSWORDS.bob);
    expect(r.status).toBe(201);
    const me = await http('GET', '/auth/fab/v1/users/bob', adminToken);
    expect(me.json.roles.map((x: any) => x.name)).toEqual(['Viewer']);
    expect((await http('GET', '/api/v2/dags', r.token)).status).toBe(200);
    expect((await http('PATCH', '/api/v2/dags/alpha', r.token, { is_paused: false })).status).toBe(403);
    expect((await http('POST', '/api/v2/dags/alpha/dagRuns', r.token, { logical_date: null })).status).toBe(403);
  });

  test('a user in no mapped group is refused', async () => {
    expect((await token('carol', PASSWORDS.carol)).status).toBe(401);
  });

  test('a wrong password is refused', async () => {
    expect((await token('alice', 'not-her-password')).status).toBe(401);
    expect((await token('nobody', 'whatever')).status).toBe(401);
  });

  test('the custom role grants exactly its per-DAG permissions', async () => {
    const r = await token('dave', PASSWORDS.dave);
    expect(r.status).toBe(201);
    const me = await http('GET', '/auth/fab/v1/users/dave', adminToken);
    expect(me.json.roles.map((x: any) => x.name)).toEqual(['team-a']);
    const t = r.token;
    const list = await http('GET', '/api/v2/dags', t);
    expect(list.status).toBe(200);
    expect(list.json.dags.map((d: any) => d.dag_id).sort()).toEqual(['alpha', 'beta']);
    expect((await http('GET', '/api/v2/dags/alpha', t)).status).toBe(200);
    expect((await http('GET', '/api/v2/dags/gamma', t)).status).toBe(403);
    // READ on alpha: no edit, no trigger.
    expect((await http('PATCH', '/api/v2/dags/alpha', t, { is_paused: false })).status).toBe(403);
    expect((await http('POST', '/api/v2/dags/alpha/dagRuns', t, { logical_date: null })).status).toBe(403);
    // TRIGGER on the tag team-b (beta): edit and trigger.
    expect((await http('PATCH', '/api/v2/dags/beta', t, { is_paused: false })).status).toBe(200);
    expect((await http('POST', '/api/v2/dags/beta/dagRuns', t, { logical_date: null })).status).toBe(200);
    // Nothing outside DAGs: no connections, variables, users.
    expect((await http('GET', '/api/v2/connections', t)).status).toBe(403);
    expect((await http('GET', '/api/v2/variables', t)).status).toBe(403);
    expect((await http('GET', '/auth/fab/v1/users', t)).status).toBe(403);
  });
});

describe('LDAP TLS', () => {
  test('the directory certificate is verified: a CA that did not sign it refuses every login', () => {
    const home = stack.path('airflow-wrong-ca');
    mkdirSync(home, { recursive: true });
    writeFileSync(join(home, 'airflow.cfg'), ldapHome.cm.data['airflow.cfg']);
    writeFileSync(join(home, 'webserver_config.py'), ldapHome.cm.data['webserver_config.py']);
    const other = stack.makeCertificates('tls-other');
    placeSecrets(ldapHome.api, home, { 'ldap-ca/ca.crt': readFileSync(other.ca, 'utf-8'), 'ldap-bind/password': BIND_PASSWORD });
    const out = python(`
import json
from airflow.providers.fab.www.app import create_app
app = create_app(enable_plugins=False)
with app.app_context():
    user = app.appbuilder.sm.auth_user_ldap("alice", ${JSON.stringify(PASSWORDS.alice)}, rotate_session_id=False)
    print("result " + json.dumps(None if user is None else user.username))
`, { AIRFLOW_HOME: home, ...loginEnv(ldapHome.api, home) });
    expect(out.split('\n').find((l) => l.startsWith('result '))).toBe('result null');
  }, 120_000);
});

describe('generated OIDC configuration in Airflow\'s FAB app', () => {
  test('registers the provider, maps groups from the ID token, refuses users without a mapped group', () => {
    const auth = AirflowAuth.oidc({
      provider: OidcProvider.generic({ discoveryUrl: 'https://idp.invalid/.well-known/openid-configuration', groupsClaim: 'realm_access.roles' }),
      clientId: 'airflow',
      clientSecret: SecretKeyRef.fromSecret('oidc', 'client-secret'),
      roleMapping: { 'airflow-admins': [BuiltinRole.ADMIN], 'airflow-viewers': [BuiltinRole.VIEWER] },
    });
    const { cm, api } = synthesize({ auth });
    const home = stack.path('airflow-oidc');
    mkdirSync(home, { recursive: true });
    writeFileSync(join(home, 'airflow.cfg'), cm.data['airflow.cfg']);
    writeFileSync(join(home, 'webserver_config.py'), cm.data['webserver_config.py']);
    placeSecrets(api, home, { 'oidc/client-secret': 'oidc-secret-value' });
    const out = python(`
import json
from airflow.providers.fab.www.app import create_app
app = create_app(enable_plugins=False)
with app.app_context():
    sm = app.appbuilder.sm
    remote = sm.oauth_remotes["oidc"]
    def login(claims):
        info = sm.get_oauth_user_info("oidc", {"userinfo": claims})
        user = sm.auth_user_oauth(info, rotate_session_id=False)
        return info, (sorted(r.name for r in user.roles) if user else None)
    print("result " + json.dumps({
        "class": type(sm).__name__,
        "client_secret": remote.client_secret,
        "scope": remote.client_kwargs["scope"],
        "erin": login({"sub": "s1", "preferred_username": "erin", "email": "erin@example.org",
                       "given_name": "Erin", "realm_access": {"roles": ["airflow-viewers", "other"]}}),
        "frank": login({"sub": "s2", "preferred_username": "frank", "realm_access": {"roles": ["other"]}}),
        "grace": login({"sub": "s3", "preferred_username": "grace", "realm_access": {"roles": ["airflow-admins"]}}),
    }))
`, { AIRFLOW_HOME: home, ...loginEnv(api, home) });
    const r = JSON.parse(out.split('\n').find((l) => l.startsWith('result '))!.slice(7));
    expect(r.class).toBe('CdkAirflowSecurityManager');
    expect(r.client_secret).toBe('oidc-secret-value');
    expect(r.scope).toBe('openid email profile');
    expect(r.erin[0]).toEqual({ username: 'erin', email: 'erin@example.org', first_name: 'Erin', last_name: '', role_keys: ['airflow-viewers', 'other'] });
    expect(r.erin[1]).toEqual(['Viewer']);
    expect(r.frank[1]).toBeNull();
    expect(r.grace[1]).toEqual(['Admin']);
    expect(cm.data['webserver_config.py']).not.toContain('oidc-secret-value');
  }, 120_000);
});
