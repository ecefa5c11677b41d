/**
 * Cornflow next to Airflow: the server (gunicorn), the Job that prepares its database and users, the Job that makes
 * its second database on the embedded PostgreSQL, and on the Airflow side its own role and user. See
 * src/config/cornflow.ts for the facts about Cornflow 1.3.9 behind these choices.
 */
import { Construct } from 'constructs';
import { CORNFLOW_AIRFLOW_ROLE, CustomRole, FabPermission, roleSyncSpecs } from '../config/auth-roles';

export { CORNFLOW_AIRFLOW_ROLE };
import { Val } from '../expr/core';
import { concat, ifElse, named, not, str } from '../expr/ops';
import { items, spread, template, when, whenAll } from '../expr/tree';
import { NetworkPort } from '../security/network';
import { ProcessIdentity } from '../security/pod-security';
import { httpProbe, waitForMigrationsContainer } from './airflow-process';
import { API_SERVER_PORT } from './api-server';
import { imagePullPolicy, imageReference } from './image-spec';
import { airflowJobContainer, JobSettings, ReleaseJob, SyncRoles } from './jobs';
import { AirflowRelease, DatabaseEndpoint, ImageSpec, SecretRef, secretEnv } from './release';
import { resources, Workload, WorkloadSettings } from './workload';

/** Cornflow's port (container and Service). */
export const CORNFLOW_PORT = 5000;
/** Cornflow's user in Airflow (database login). */
export const CORNFLOW_AIRFLOW_USER = 'cornflow';
const CA_DIR = '/run/secrets/cornflow-db-ca';

/**
 * What Cornflow's client does in Airflow (cornflow_client/airflow/api.py): lists and reads DAGs (solvers are DAGs),
 * triggers, reads and fails DAG runs, sets task instance states, reads the variables holding the solvers' schemas;
 * connections so that solvers' connections can be managed. Nothing about users, roles, pools or configuration.
 */
export const CORNFLOW_ROLE: CustomRole = {
  name: CORNFLOW_AIRFLOW_ROLE,
  permissions: [
    ['can_read', 'DAGs'], ['can_edit', 'DAGs'],
    ['can_read', 'DAG Runs'], ['can_create', 'DAG Runs'], ['can_edit', 'DAG Runs'], ['can_delete', 'DAG Runs'],
    ['can_read', 'Task Instances'], ['can_edit', 'Task Instances'], ['can_read', 'Task Logs'],
    ['can_read', 'Variables'],
    ['can_read', 'Connections'], ['can_create', 'Connections'], ['can_edit', 'Connections'], ['can_delete', 'Connections'],
    ['can_read', 'Website'],
  ].map(([a, r]) => FabPermission.of(a, r)),
};

/** Cornflow's settings as the constructs compute with them (literals in TypeScript, value references in a chart). */
export interface CornflowInputs extends WorkloadSettings {
  readonly affinityInput: Val<{ affinity: Record<string, unknown>; replicas: number | undefined }>;
  readonly image: ImageSpec;
  /** gunicorn worker processes. */
  readonly workers: Val<number>;
  /** Login against LDAP (else Cornflow's database). */
  readonly ldap: Val<boolean>;
  /** The LDAP settings (non-secret), `LDAP_*` env entries; only used with `ldap`. */
  readonly ldapEnv: unknown[];
  readonly ldapBindPassword: SecretRef;
  readonly database: DatabaseEndpoint & {
    /** A second database on the release's embedded PostgreSQL. */
    readonly embedded: Val<boolean>;
  };
  readonly adminUser: { readonly username: Val<string>; readonly email: Val<string>; readonly password: SecretRef };
  readonly serviceUser: { readonly username: Val<string>; readonly email: Val<string>; readonly password: SecretRef };
  /** Cornflow's Airflow account: `cornflow` (database login) or a directory account (LDAP). */
  readonly airflowUser: { readonly username: Val<string>; readonly password: SecretRef };
  /** Key signing Cornflow's tokens (SECRET_KEY), and the second one (SECRET_BI_KEY). */
  readonly secretKey: SecretRef;
  readonly biSecretKey: SecretRef;
  /** `CORS_ORIGINS`: the Ingress's origin, or empty (no cross-origin request allowed). */
  readonly corsOrigin: Val<string>;
}

/** The environment of Cornflow's processes (server and init Job): one named template in the chart. */
function cornflowEnv(r: AirflowRelease, c: CornflowInputs): unknown[] {
  const db = c.database;
  return template<Record<string, never>>({
    name: 'airflow.cornflow.env',
    doc: 'Cornflow\'s settings: its database (password in PGPASSWORD), token keys, login, and how it reaches Airflow\'s API.',
    kind: 'list',
    params: {},
    body: () => items<unknown>(
      { name: 'FLASK_ENV', value: 'production' },
      { name: 'FLASK_APP', value: 'cornflow.app' },
      { name: 'PYTHONDONTWRITEBYTECODE', value: '1' },
      { name: 'HOME', value: '/tmp' },
      // libpq reads PGPASSWORD: the password never sits in the URL, so any character works in it.
      secretEnv('PGPASSWORD', db.password),
      {
        name: 'DATABASE_URL',
        value: named('airflow.cornflowDatabaseUrl', 'The SQLAlchemy URL of Cornflow\'s database, without the password (PGPASSWORD holds it).',
          concat('postgresql://', db.user, '@', db.host, ':', db.port, '/', db.database, '?sslmode=', db.sslMode,
            ifElse(db.caCertificate.present, concat(`&sslrootcert=${CA_DIR}/`, db.caCertificate.key), ''))),
      },
      secretEnv('SECRET_KEY', c.secretKey),
      secretEnv('SECRET_BI_KEY', c.biSecretKey),
      { name: 'AUTH_TYPE', value: ifElse(c.ldap, '2', '1') },
      // No self sign-up: users come from the admin or the directory.
      { name: 'SIGNUP_ACTIVATED', value: '0' },
      { name: 'CORS_ORIGINS', value: c.corsOrigin },
      { name: 'CORNFLOW_SERVICE_USER', value: c.serviceUser.username },
      { name: 'AIRFLOW_URL', value: str`http://${r.resourceName('api-server')}:${API_SERVER_PORT}` },
      { name: 'AIRFLOW_USER', value: c.airflowUser.username },
      secretEnv('AIRFLOW_PWD', c.airflowUser.password),
      when(c.ldap, spread(c.ldapEnv)),
      when(c.ldap, secretEnv('LDAP_BIND_PASSWORD', c.ldapBindPassword)),
    ),
  })({});
}

/** The CA certificate of an external Cornflow database, when given. */
function caVolumes(c: CornflowInputs): { volumes: unknown[]; mounts: unknown[] } {
  const ca = c.database.caCertificate;
  return {
    volumes: [when(ca.present, { name: 'database-ca', secret: { secretName: ca.name, items: [{ key: ca.key, path: ca.key }] } })],
    mounts: [when(ca.present, { name: 'database-ca', mountPath: CA_DIR, readOnly: true })],
  };
}

/** Props of {@link CornflowServer}. Built by {@link AirflowChart}. */
export interface CornflowServerProps {
  readonly release: AirflowRelease;
  readonly cornflow: CornflowInputs;
  readonly identity: ProcessIdentity;
}

/**
 * The Cornflow server: gunicorn (gevent workers) on port 5000 with Cornflow's production app, a ClusterIP Service,
 * readiness on `/health/` (which also reports whether Airflow answers), liveness on the port. Not Cornflow's `service init` entry point:
 * that regenerates SECRET_KEY at every start and writes into the image; the init Job does its other steps.
 */
export class CornflowServer extends Construct {
  /** The Airflow role of Cornflow's account, with exactly the permissions Cornflow uses; `CORNFLOW_ROLE` in TypeScript. */
  public static readonly AIRFLOW_ROLE: CustomRole = CORNFLOW_ROLE;
  /** The name of that role, which custom roles may not take; `CORNFLOW_AIRFLOW_ROLE` in TypeScript. */
  public static readonly AIRFLOW_ROLE_NAME = CORNFLOW_AIRFLOW_ROLE;
  /** Cornflow's port (container and Service); `CORNFLOW_PORT` in TypeScript. */
  public static readonly PORT = CORNFLOW_PORT;
  /** Cornflow's Deployment, Service and network connections. */
  public readonly workload: Workload;

  /** @internal Built by the chart (the constructor is private so the jsii languages see no initializer). */
  public static _create(scope: Construct, id: string, props: CornflowServerProps): CornflowServer {
    return new CornflowServer(scope, id, props);
  }

  private constructor(scope: Construct, id: string, props: CornflowServerProps) {
    super(scope, id);
    const c = props.cornflow;
    // Liveness asks only whether gunicorn answers, so a slow database or Airflow can unroute Cornflow but never restart it.
    const alive = (period: number, failures: number) => ({ tcpSocket: { port: 'http' }, periodSeconds: period, timeoutSeconds: 5, failureThreshold: failures });
    const ca = caVolumes(c);
    this.workload = Workload._create(this, 'Workload', {
      component: 'cornflow',
      release: props.release,
      settings: c,
      affinityInput: c.affinityInput,
      image: c.image,
      kind: 'Deployment',
      identity: props.identity,
      kubernetesApiAccess: false,
      containers: [{
        name: 'cornflow',
        image: imageReference(c.image),
        imagePullPolicy: imagePullPolicy(c.image),
        command: ['gunicorn'],
        args: ['--bind', `0.0.0.0:${CORNFLOW_PORT}`, '--worker-class', 'gevent', '--workers', concat(c.workers),
          '--timeout', '300', '--graceful-timeout', '60', '--worker-tmp-dir', '/tmp', '--access-logfile', '-', '--error-logfile', '-',
          'cornflow.app:create_app(\'production\')'],
        env: [spread(cornflowEnv(props.release, c))],
        ports: [{ name: 'http', containerPort: CORNFLOW_PORT, protocol: 'TCP' }],
        startupProbe: alive(5, 60),
        livenessProbe: alive(20, 5),
        readinessProbe: httpProbe('/health/', 'http', 10, 3, 10),
        volumeMounts: ca.mounts,
        resources: { custom: c.resources, defaults: resources(250, 512, 1024) },
        writablePaths: [{ volume: 'tmp', mountPath: '/tmp', sizeMi: 256 }],
      }],
      volumes: ca.volumes,
      terminationGracePeriodSeconds: 90,
      servicePorts: [{ name: 'http', port: CORNFLOW_PORT, targetPort: 'http', protocol: 'TCP' }],
      networkPort: NetworkPort.tcp(CORNFLOW_PORT),
    });
  }
}

/**
 * Cornflow's start-up steps, once per change of its settings, as `cornflow service init` does them but without
 * regenerating keys or starting the server: database migrations, Cornflow's roles and permissions, the admin and
 * service users (database login; from Secrets, never Cornflow's documented defaults; existing users are kept), and
 * the solvers (DAGs) and their schemas read from Airflow.
 */
export const CORNFLOW_INIT_SCRIPT = `
import os
import cornflow
from flask_migrate import Migrate, upgrade
from cornflow.app import create_app
from cornflow.commands import (access_init_command, create_user_with_role, register_dag_permissions_command,
                               register_deployed_dags_command, update_schemas_command)
from cornflow.shared import db
from cornflow.shared.const import ADMIN_ROLE, AUTH_DB, SERVICE_ROLE
env = os.environ
airflow = (env["AIRFLOW_URL"], env["AIRFLOW_USER"], env["AIRFLOW_PWD"])
app = create_app("production")
with app.app_context():
    Migrate(app=app, db=db, directory=os.path.join(os.path.dirname(cornflow.__file__), "migrations"))
    upgrade()
    access_init_command(verbose=True)
    if int(env["AUTH_TYPE"]) == AUTH_DB:
        for prefix, role, name in (("ADMIN", ADMIN_ROLE, "admin"), ("SERVICE", SERVICE_ROLE, "serviceuser")):
            user = env["CORNFLOW_%s_USER" % prefix]
            email, password = env["CORNFLOW_%s_EMAIL" % prefix], env["CORNFLOW_%s_PWD" % prefix]
            create_user_with_role(user, email, password, name, role, verbose=True)
    if not register_deployed_dags_command(*airflow, verbose=True):
        raise SystemExit("Airflow's API did not answer: the Job will retry")
    register_dag_permissions_command(1, verbose=True)
    update_schemas_command(*airflow, verbose=True)
`.trim();

/** Props of {@link CornflowInit}. */
export interface CornflowInitProps {
  readonly release: AirflowRelease;
  readonly settings: JobSettings;
  readonly cornflow: CornflowInputs;
  readonly identity: ProcessIdentity;
}

/** Runs {@link CORNFLOW_INIT_SCRIPT} with Cornflow's image and settings. */
export class CornflowInit extends ReleaseJob {
  constructor(scope: Construct, id: string, props: CornflowInitProps) {
    const c = props.cornflow;
    const ca = caVolumes(c);
    super(scope, id, {
      component: 'cornflow-init',
      release: props.release,
      identity: props.identity,
      container: {
        name: 'cornflow-init',
        image: imageReference(c.image),
        imagePullPolicy: imagePullPolicy(c.image),
        command: ['python', '-c', CORNFLOW_INIT_SCRIPT],
        env: items<unknown>(
          spread(cornflowEnv(props.release, c)),
          // The users the init creates (database login; with LDAP they are directory accounts).
          whenAll(not(c.ldap),
            { name: 'CORNFLOW_ADMIN_USER', value: c.adminUser.username },
            { name: 'CORNFLOW_ADMIN_EMAIL', value: c.adminUser.email },
            secretEnv('CORNFLOW_ADMIN_PWD', c.adminUser.password),
            { name: 'CORNFLOW_SERVICE_EMAIL', value: c.serviceUser.email },
            secretEnv('CORNFLOW_SERVICE_PWD', c.serviceUser.password)),
        ),
        volumeMounts: items(...ca.mounts),
        resources: { defaults: resources(100, 256, 512) },
        writablePaths: [{ volume: 'tmp', mountPath: '/tmp', sizeMi: 64 }],
      },
      volumes: items(...ca.volumes),
      kubernetesApiAccess: false,
      settings: props.settings,
    });
  }
}

/**
 * Creates Cornflow's database user and database on the release's embedded PostgreSQL when missing, and sets the
 * user's password from its Secret (so the two always agree). Values reach psql as variables, quoted by psql.
 */
export const CORNFLOW_DATABASE_SQL = `
SELECT format('CREATE ROLE %I LOGIN', :'user') WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'user') \\gexec
ALTER ROLE :"user" WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD :'password';
SELECT format('CREATE DATABASE %I OWNER %I', :'database', :'user') WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'database') \\gexec
REVOKE ALL ON DATABASE :"database" FROM PUBLIC;
`.trim();

/** Props of {@link CornflowDatabaseSetup}. */
export interface CornflowDatabaseSetupProps {
  readonly release: AirflowRelease;
  readonly settings: JobSettings;
  readonly cornflow: CornflowInputs;
  /** The embedded PostgreSQL's image (it has psql). */
  readonly image: ImageSpec;
  readonly identity: ProcessIdentity;
}

/** Runs {@link CORNFLOW_DATABASE_SQL} as the embedded PostgreSQL's `airflow` superuser. */
export class CornflowDatabaseSetup extends ReleaseJob {
  constructor(scope: Construct, id: string, props: CornflowDatabaseSetupProps) {
    const r = props.release;
    const db = props.cornflow.database;
    const script = [
      // psql interpolates :'variables' and runs \gexec only in scripts it reads, not in -c commands.
      'printf \'%s\\n\' "$CORNFLOW_SQL" | psql --no-psqlrc -v ON_ERROR_STOP=1 -h "$PGHOST" -U airflow -d airflow',
      '  -v user="$CORNFLOW_DB_USER" -v password="$CORNFLOW_DB_PASSWORD" -v database="$CORNFLOW_DB" -f -',
    ].join(' \\\n');
    super(scope, id, {
      component: 'cornflow-db',
      release: r,
      identity: props.identity,
      container: {
        name: 'cornflow-db',
        image: imageReference(props.image),
        imagePullPolicy: imagePullPolicy(props.image),
        command: ['bash', '-c', script],
        env: [
          { name: 'PGHOST', value: r.database.host },
          secretEnv('PGPASSWORD', r.database.password),
          { name: 'CORNFLOW_DB_USER', value: db.user },
          { name: 'CORNFLOW_DB', value: db.database },
          secretEnv('CORNFLOW_DB_PASSWORD', db.password),
          { name: 'CORNFLOW_SQL', value: CORNFLOW_DATABASE_SQL },
        ],
        resources: { defaults: resources(50, 64, 128) },
        writablePaths: [{ volume: 'tmp', mountPath: '/tmp', sizeMi: 16 }],
      },
      kubernetesApiAccess: false,
      settings: props.settings,
    });
  }
}

/** The Cornflow role as the role-sync script reads it. */
export const CORNFLOW_ROLE_SPEC = roleSyncSpecs('cornflow role', [CORNFLOW_ROLE]);

/** Keeps the `Cornflow` role in Airflow at exactly its permissions ({@link CORNFLOW_ROLE}). */
export class CornflowAirflowRole extends SyncRoles {
  constructor(scope: Construct, id: string, props: { readonly release: AirflowRelease; readonly settings: JobSettings }) {
    // One permission per line, so the Job reads like the list above.
    const [role] = CORNFLOW_ROLE_SPEC;
    const lines = (role.permissions ?? []).map((p) => `  ${JSON.stringify(p)}`).join(',\n');
    const text = `[{"name": ${JSON.stringify(role.name)}, "permissions": [\n${lines}\n]}]\n`;
    super(scope, id, { ...props, roles: CORNFLOW_ROLE_SPEC, rolesText: text, component: 'cornflow-role' });
  }
}

/** Props of {@link CornflowAirflowUser}. */
export interface CornflowAirflowUserProps {
  readonly release: AirflowRelease;
  readonly settings: JobSettings;
  readonly password: SecretRef;
  /** FAB config volumes (database login). */
  readonly authVolumes: { readonly volumes: unknown[]; readonly mounts: unknown[] };
}

/**
 * Creates Cornflow's Airflow user (`cornflow`, role `Cornflow`) when it does not exist (database login). The role
 * is created by {@link CornflowAirflowRole}; until it exists the CLI fails and the Job retries.
 */
export class CornflowAirflowUser extends ReleaseJob {
  constructor(scope: Construct, id: string, props: CornflowAirflowUserProps) {
    const script = [
      'printf \'%s\\n%s\\n\' "$CORNFLOW_AIRFLOW_PASSWORD" "$CORNFLOW_AIRFLOW_PASSWORD" |',
      `exec airflow users create --role ${CORNFLOW_AIRFLOW_ROLE} --username ${CORNFLOW_AIRFLOW_USER} \\`,
      '  --email cornflow@cornflow.local --firstname Cornflow --lastname Service',
    ].join('\n');
    const c = airflowJobContainer(props.release, 'cornflow-user', { database: true }, ['bash', '-c', script],
      [secretEnv('CORNFLOW_AIRFLOW_PASSWORD', props.password)]);
    super(scope, id, {
      component: 'cornflow-user',
      release: props.release,
      container: { ...c.container, volumeMounts: items(...(c.container.volumeMounts ?? []), ...props.authVolumes.mounts) },
      initContainers: [waitForMigrationsContainer(props.release, c.mounts, c.env)],
      volumes: items(...c.volumes, ...props.authVolumes.volumes),
      kubernetesApiAccess: false,
      settings: props.settings,
    });
  }
}

/** The `cf_uri` connection tasks use to call Cornflow back as the service user (Airflow's env-var connection). */
export function cornflowTaskEnv(releaseName: Val<string>, serviceUser: { username: Val<string>; password: SecretRef }): unknown[] {
  return template<Record<string, never>>({
    name: 'airflow.env.cornflow',
    doc: 'The cf_uri connection to Cornflow (its service user) for the processes that run tasks.',
    kind: 'list',
    params: {},
    body: () => [
      secretEnv('CORNFLOW_SERVICE_PASSWORD', serviceUser.password),
      {
        name: 'AIRFLOW_CONN_CF_URI',
        value: concat('cornflow://', serviceUser.username, ':$(CORNFLOW_SERVICE_PASSWORD)@', releaseName, `-cornflow:${CORNFLOW_PORT}`),
      },
    ],
  })({});
}

/** The directory settings Cornflow's LDAP login reads. */
export interface CornflowLdapSettings {
  readonly url: Val<string>;
  readonly bindDn: Val<string>;
  readonly userBase: Val<string>;
  readonly usernameAttribute: Val<string>;
  readonly userObjectClass: Val<string>;
  readonly emailAttribute: Val<string>;
  readonly groupBase: Val<string>;
  readonly groupObjectClass: Val<string>;
  /** The group `cn` of each Cornflow role; empty: no group gets it. */
  readonly groups: { readonly admin: Val<string>; readonly planner: Val<string>; readonly viewer: Val<string>; readonly service: Val<string> };
}

/**
 * Cornflow's `LDAP_*` settings. Every role's group is set, empty when unmapped: Cornflow's own defaults
 * (`administrators`, `planners`, ...) would otherwise grant roles to whatever groups happen to have those names.
 */
export function cornflowLdapEnv(l: CornflowLdapSettings): unknown[] {
  return template<Record<string, never>>({
    name: 'airflow.cornflow.ldap.env',
    doc: 'Cornflow\'s LDAP login: the directory (shared with Airflow\'s auth.ldap) and the group of each Cornflow role.',
    kind: 'list',
    params: {},
    body: () => [
      { name: 'LDAP_HOST', value: l.url },
      { name: 'LDAP_BIND_DN', value: l.bindDn },
      { name: 'LDAP_USER_BASE', value: l.userBase },
      // The service user is a directory account like any other.
      { name: 'LDAP_SERVICE_BASE', value: l.userBase },
      { name: 'LDAP_USERNAME_ATTRIBUTE', value: l.usernameAttribute },
      { name: 'LDAP_USER_OBJECT_CLASS', value: l.userObjectClass },
      { name: 'LDAP_EMAIL_ATTRIBUTE', value: l.emailAttribute },
      { name: 'LDAP_GROUP_BASE', value: l.groupBase },
      { name: 'LDAP_GROUP_OBJECT_CLASS', value: l.groupObjectClass },
      { name: 'LDAP_GROUP_ATTRIBUTE', value: 'cn' },
      { name: 'LDAP_GROUP_TO_ROLE_ADMIN', value: l.groups.admin },
      { name: 'LDAP_GROUP_TO_ROLE_PLANNER', value: l.groups.planner },
      { name: 'LDAP_GROUP_TO_ROLE_VIEWER', value: l.groups.viewer },
      { name: 'LDAP_GROUP_TO_ROLE_SERVICE', value: l.groups.service },
    ],
  })({});
}
