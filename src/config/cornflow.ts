/**
 * Cornflow (baobabsoluciones' optimization server, which runs its solvers as Airflow DAGs) next to Airflow: typed
 * options, validated here; the components are in src/components/cornflow.ts.
 *
 * Facts from Cornflow 1.3.9's source (config.py, cli/service.py, shared/authentication/ldap.py):
 * - settings are environment variables: DATABASE_URL, SECRET_KEY (JWT signing), SECRET_BI_KEY, AUTH_TYPE (1 database,
 *   2 LDAP), SIGNUP_ACTIVATED (0 no sign-up), CORS_ORIGINS, CORNFLOW_SERVICE_USER, AIRFLOW_URL/USER/PWD, LDAP_*;
 * - `cornflow service init` overwrites SECRET_KEY with FERNET_KEY or a random key at every start (tokens would not
 *   survive a restart or work across replicas) and starts gunicorn with a config that writes /usr/src/app: the chart
 *   runs the same steps itself (an init Job, then gunicorn with explicit flags);
 * - LDAP (ldap3): always binds with LDAP_BIND_DN / LDAP_BIND_PASSWORD, finds a user by `(<username attribute>=<login>)`
 *   under LDAP_USER_BASE, the groups by `(&(objectClass=<group class>)(member=<user DN>))` under LDAP_GROUP_BASE, and
 *   maps a group's `cn` to a role through LDAP_GROUP_TO_ROLE_{ADMIN,PLANNER,VIEWER,SERVICE}; LDAP_USE_TLS is never
 *   read (TLS means an ldaps:// URL), and ldap3 does not verify the server certificate.
 */
import { WorkloadOptions } from '../components/workload';
import { ExternalDatabaseOptions, PG_IDENTIFIER, SslMode, validateCidrs, validateHost, validatePort } from './database';
import { ContainerImage } from './image';
import { IngressHostOptions, IngressTls } from './ingress';
import { LdapDirectory, LdapTransport } from './auth-ldap';
import { SecretKeyRef } from './secrets';

/** Cornflow's roles (`cornflow.shared.const`). */
export enum CornflowRole {
  /** Reads instances, executions and solutions. */
  VIEWER = 'viewer',
  /** Viewer, plus creating instances and executions (solving). */
  PLANNER = 'planner',
  /** Everything, including users. */
  ADMIN = 'admin',
  /** The service account Airflow's tasks call Cornflow back with. */
  SERVICE = 'service',
}

/** Cornflow's `AUTH_TYPE` values. */
export const CORNFLOW_AUTH_TYPE = { database: 1, ldap: 2 } as const;

/** The LDAP group (its `cn`, as Cornflow compares it) of each Cornflow role. */
export interface CornflowRoleGroups {
  /**
   * Group whose members are Cornflow administrators.
   * @default - none: nobody gets the role from the directory
   */
  readonly admin?: string;
  /**
   * Group of planners (create instances, run solvers).
   * @default - none
   */
  readonly planner?: string;
  /**
   * Group of viewers (read only).
   * @default - none
   */
  readonly viewer?: string;
  /**
   * Group of service accounts (the account Airflow's tasks log in with must be in it).
   * @default - none
   */
  readonly service?: string;
}

/** Options of {@link CornflowAuth.ldap}. */
export interface CornflowLdapOptions {
  /**
   * The directory. It needs a search account (`bindDn`, `bindPassword`) and `groupBase`: Cornflow always binds as
   * the account and searches groups there by their `member` attribute. Cornflow's client ignores StartTLS: the URL
   * must be `ldaps://` (or `allowInsecureLdap`).
   * @default - the directory of `auth` (AirflowAuth.ldap): one directory for both
   */
  readonly directory?: LdapDirectory;
  /** The group of each role, by `cn` (Cornflow matches group names, not DNs). At least one is required. */
  readonly roleGroups: CornflowRoleGroups;
}

/** How people log in to Cornflow. */
export class CornflowAuth {
  /** Users and passwords in Cornflow's database; the admin and service users come from Secrets. */
  public static database(): CornflowAuth {
    return new CornflowAuth('database', undefined, {});
  }

  /** Login against an LDAP directory, groups mapped to Cornflow roles. */
  public static ldap(options: CornflowLdapOptions): CornflowAuth {
    const groups = options?.roleGroups ?? {};
    const known = Object.values(CornflowRole) as string[];
    for (const [role, group] of Object.entries(groups)) {
      if (!known.includes(role)) {
        throw new Error(`CornflowAuth.ldap roleGroups: unknown Cornflow role '${role}'; use ${known.join(', ')}`);
      }
      if (group !== undefined && (typeof group !== 'string' || !/^[^,=\s"'\\][^,="'\\]{0,127}$/.test(group))) {
        throw new Error(`CornflowAuth.ldap roleGroups.${role} must be a group's cn (not a DN), e.g. 'planners', got '${group}'`);
      }
    }
    if (!Object.values(groups).some((g) => g)) {
      throw new Error('CornflowAuth.ldap roleGroups must name the group of at least one role (admin, planner, viewer, service); '
        + 'with none, nobody could log in');
    }
    if (options.directory !== undefined && !(options.directory instanceof LdapDirectory)) {
      throw new Error('CornflowAuth.ldap directory must be a new LdapDirectory({...}), or omitted to use the directory of auth');
    }
    return new CornflowAuth('ldap', options.directory, groups);
  }

  private constructor(
    /** `database` or `ldap`. */
    public readonly kind: 'database' | 'ldap',
    /** The LDAP directory (LDAP login only). */
    public readonly directory: LdapDirectory | undefined,
    /** Directory groups that grant each Cornflow role (LDAP login only). */
    public readonly roleGroups: CornflowRoleGroups,
  ) {}
}

/** Cornflow's database on the release's embedded PostgreSQL. */
export interface EmbeddedCornflowDatabaseOptions {
  /**
   * Password of the `cornflow` database user.
   * @default - generated once in the cluster into `<release>-cornflow-db` (key `password`)
   */
  readonly password?: SecretKeyRef;
}

/** Cornflow's own database. */
export class CornflowDatabase {
  /** A second database `cornflow` and user on the release's embedded PostgreSQL, created by a Job. */
  public static embedded(options: EmbeddedCornflowDatabaseOptions = {}): CornflowDatabase {
    return new CornflowDatabase(undefined, options.password);
  }

  /** An existing PostgreSQL server; `database` and `user` default to `cornflow`, sslMode to verify-full. */
  public static external(options: ExternalDatabaseOptions): CornflowDatabase {
    const p = 'CornflowDatabase.external';
    validateHost(`${p} host`, options.host);
    validatePort(`${p} port`, options.port ?? 5432, 5432);
    for (const [k, v] of [['database', options.database], ['user', options.user]] as const) {
      if (v !== undefined && !PG_IDENTIFIER.test(v)) throw new Error(`${p} ${k} must be a PostgreSQL identifier, got '${v}'`);
    }
    if (!(options.password instanceof SecretKeyRef)) {
      throw new Error(`${p} password is required: pass SecretKeyRef.fromSecret(name, key) of the database user's password`);
    }
    const mode = options.sslMode ?? SslMode.VERIFY_FULL;
    if (!Object.values(SslMode).includes(mode)) throw new Error(`${p} sslMode must be one of ${Object.values(SslMode).join(', ')}, got '${mode}'`);
    const verifies = mode === SslMode.VERIFY_CA || mode === SslMode.VERIFY_FULL;
    if (verifies && !options.caCertificate) {
      throw new Error(`${p} caCertificate is required with sslMode '${mode}'; pass SecretKeyRef.fromSecret(name, 'ca.crt') or choose SslMode.REQUIRE`);
    }
    if (!verifies && options.caCertificate) throw new Error(`${p} caCertificate is only used with sslMode verify-ca or verify-full, got '${mode}'`);
    validateCidrs(`${p} cidrs`, options.cidrs ?? []);
    return new CornflowDatabase(options, undefined);
  }

  private constructor(
    /** The external server (`external` only). */
    public readonly externalServer: ExternalDatabaseOptions | undefined,
    /** The user's password on the embedded PostgreSQL, when given (`embedded` only). */
    public readonly embeddedPassword: SecretKeyRef | undefined,
  ) {}
}

/** A Cornflow user created by the chart (database login). */
export interface CornflowUserOptions {
  /**
   * Login name.
   * @default - `cornflow_admin` for the admin, `service_user` for the service user
   */
  readonly username?: string;
  /**
   * E-mail.
   * @default - `<username>@cornflow.local`
   */
  readonly email?: string;
  /**
   * Password. With LDAP login the service user is a directory account and its password is required.
   * @default - generated once in the cluster into `<release>-cornflow` (never Cornflow's documented defaults)
   */
  readonly password?: SecretKeyRef;
}

/** Options of {@link Cornflow.enabled}. */
export interface CornflowOptions extends WorkloadOptions {
  /**
   * Image.
   * @default DefaultImages.CORNFLOW
   */
  readonly image?: ContainerImage;
  /**
   * Number of pods (a PodDisruptionBudget and spreading across nodes above 1).
   * @default 2
   */
  readonly replicas?: number;
  /**
   * gunicorn worker processes per pod.
   * @default 2
   */
  readonly workers?: number;
  /**
   * Login.
   * @default CornflowAuth.database()
   */
  readonly auth?: CornflowAuth;
  /**
   * Database.
   * @default CornflowDatabase.embedded() (needs the release's embedded PostgreSQL)
   */
  readonly database?: CornflowDatabase;
  /**
   * The first Cornflow administrator (database login only; with LDAP, administrators come from `roleGroups.admin`).
   * @default - `cornflow_admin` with a generated password
   */
  readonly adminUser?: CornflowUserOptions;
  /**
   * The service user Airflow's tasks log in to Cornflow with (through the `cf_uri` connection).
   * @default - `service_user` with a generated password (database login)
   */
  readonly serviceUser?: CornflowUserOptions;
  /**
   * Cornflow's account in Airflow, with the role `Cornflow` (DAGs, DAG runs, task instances, variables and
   * connections; nothing about users, roles or configuration). With database login the release creates the user
   * `cornflow`; with `AirflowAuth.ldap` it is a directory account (username and password required) whose group
   * `roleMapping` maps to `Cornflow`.
   * @default - `cornflow` with a password generated once into `<release>-cornflow` (key `airflow-password`)
   */
  readonly airflowUser?: CornflowUserOptions;
  /**
   * Key signing Cornflow's tokens (`SECRET_KEY`).
   * @default - generated once in the cluster into `<release>-cornflow` (key `secret-key`)
   */
  readonly secretKey?: SecretKeyRef;
  /**
   * Key signing Cornflow's long-lived BI tokens (`SECRET_BI_KEY`).
   * @default - generated once in the cluster into `<release>-cornflow` (key `secret-bi-key`)
   */
  readonly biSecretKey?: SecretKeyRef;
  /**
   * Ingress for Cornflow (TLS only); the controller namespace comes from the api-server's ingress settings.
   * @default - no Ingress
   */
  readonly ingress?: IngressHostOptions;
}

/** Cornflow next to Airflow. */
export class Cornflow {
  /** Deploy Cornflow with these options. */
  public static enabled(options: CornflowOptions = {}): Cornflow {
    return new Cornflow(options);
  }

  private constructor(/** The options given to `enabled`. */ public readonly options: CornflowOptions) {
    const o = options;
    const users: [string, CornflowUserOptions | undefined][] = [['adminUser', o.adminUser], ['serviceUser', o.serviceUser], ['airflowUser', o.airflowUser]];
    for (const [prop, u] of users) {
      if (u?.username !== undefined && !/^[A-Za-z0-9_.-]{1,64}$/.test(u.username)) {
        throw new Error(`cornflow.${prop}.username must be 1-64 letters, digits, '_', '.' or '-', got '${u.username}'`);
      }
      if (u?.email !== undefined && !/^[^\s@'"]+@[^\s@'"]+$/.test(u.email)) throw new Error(`cornflow.${prop}.email must be an e-mail address, got '${u.email}'`);
    }
    if (o.ingress) {
      validateHost('cornflow.ingress.host', o.ingress.host);
      if (!(o.ingress.tls instanceof IngressTls)) {
        throw new Error('cornflow.ingress.tls is required: IngressTls.fromSecret(name) or IngressTls.certManager(issuer); plain HTTP is not supported');
      }
    }
    if (o.workers !== undefined && (!Number.isInteger(o.workers) || o.workers < 1 || o.workers > 32)) {
      throw new Error(`cornflow.workers must be an integer from 1 to 32, got ${o.workers}`);
    }
  }

  /** The login. */
  public get auth(): CornflowAuth {
    return this.options.auth ?? CornflowAuth.database();
  }

  /** The database. */
  public get database(): CornflowDatabase {
    return this.options.database ?? CornflowDatabase.embedded();
  }
}

/** Checks an LDAP directory for Cornflow's client (prop names the place it came from). */
export function validateCornflowDirectory(prop: string, d: LdapDirectory): void {
  if (!d.bindDn || !d.bindPassword) {
    throw new Error(`${prop} needs bindDn and bindPassword: Cornflow always searches the directory with a service account`);
  }
  if (!d.groupBase) {
    throw new Error(`${prop} needs groupBase: Cornflow finds a user's groups by searching (member=<user DN>) under it`);
  }
  if (d.transport === LdapTransport.START_TLS) {
    throw new Error(`${prop} uses StartTLS ('${d.url}'), which Cornflow's LDAP client never does (it would bind in clear text): `
      + 'use an ldaps:// URL for the directory');
  }
}
