import { createHash } from 'crypto';
import { k8s } from 'cdk8s-plus-27';
import type { SecretRef } from '../components/release';
import { Val } from '../expr/core';
import { goJson } from '../expr/ops';
import { LdapDirectory, LdapTransport } from './auth-ldap';
import { BUILTIN_ROLES, BuiltinRole, CORNFLOW_AIRFLOW_ROLE, CustomRole, RoleSyncSpec, roleSyncSpecs } from './auth-roles';
import { DATABASE_WEBSERVER_CONFIG, LDAP_WEBSERVER_CONFIG, OIDC_WEBSERVER_CONFIG } from './auth-webserver-config';
import { AIRFLOW_HOME } from './dags';
import { validateCidrs } from './database';
import { SecretKeyRef } from './secrets';

export * from './auth-ldap';
export * from './auth-roles';

/**
 * Where the api-server finds auth secrets: `<AIRFLOW_HOME>/secrets/<volume>/<key>`, mounted read-only from the
 * referenced Secret. webserver_config.py derives the same path from `AIRFLOW_HOME`.
 */
const SECRET_DIR = `${AIRFLOW_HOME}/secrets`;

/** Which login Airflow's FAB auth manager uses. */
export enum AuthKind {
  /** Users in the metadata database (FAB), created by an administrator. */
  DATABASE = 'database',
  /** An LDAP directory (FAB AUTH_LDAP). */
  LDAP = 'ldap',
  /** An OpenID Connect provider (FAB AUTH_OAUTH). */
  OIDC = 'oidc',
}

/** Options every auth mode accepts. */
export interface AuthOptions {
  /**
   * Custom roles, created and kept in sync (exact permissions) by the `<release>-sync-roles-<hash>` Job.
   * @default - none: Airflow's built-in roles only
   */
  readonly roles?: CustomRole[];
}

/** Options of {@link AirflowAuth.database}. */
export interface DatabaseAuthOptions extends AuthOptions {}

/** Options of a login against an external identity source (LDAP, OIDC). */
export interface ExternalAuthOptions extends AuthOptions {
  /**
   * Group -> roles. Keys are LDAP group DNs (exactly as the directory spells them) or the values of the OIDC groups
   * claim; values are built-in (`BuiltinRole.ADMIN`, ...) or declared custom role names.
   * @default - none: every user gets `defaultRole`, or is refused
   * @see https://flask-appbuilder.readthedocs.io/en/latest/security.html#role-based
   */
  readonly roleMapping?: Record<string, string[]>;
  /**
   * Recompute a user's roles from their groups at every login (`AUTH_ROLES_SYNC_AT_LOGIN`), so removing someone
   * from a group removes the role at their next login.
   * @default true
   */
  readonly syncRolesAtLogin?: boolean;
  /**
   * Create the Airflow user at first login (`AUTH_USER_REGISTRATION`). When false, an administrator creates users
   * beforehand.
   * @default true
   */
  readonly selfRegistration?: boolean;
  /**
   * Role every user gets in addition to mapped roles (`AUTH_USER_REGISTRATION_ROLE`). Never `Admin`.
   * @default - none: a user whose groups map to no role is refused at login
   */
  readonly defaultRole?: string;
}

/** Options of {@link AirflowAuth.ldap}. */
export interface LdapAuthOptions extends ExternalAuthOptions {
  /** The directory. */
  readonly directory: LdapDirectory;
}

/** Options of {@link OidcProvider.generic}. */
export interface GenericOidcOptions {
  /** OpenID discovery document, `https://.../.well-known/openid-configuration`. */
  readonly discoveryUrl: string;
  /**
   * Provider name in FAB (the login button and the `/oauth-authorized/<name>` callback path).
   * @default 'oidc'
   */
  readonly name?: string;
  /**
   * Claim holding the login name (dotted paths reach nested claims).
   * @default 'preferred_username' (then `sub`)
   */
  readonly usernameClaim?: string;
  /**
   * Claim holding the user's groups, matched against `roleMapping` (dotted paths reach nested claims, e.g.
   * `realm_access.roles`).
   * @default 'groups'
   */
  readonly groupsClaim?: string;
}

/** Options of {@link OidcProvider.azureEntraId}. */
export interface AzureEntraIdOptions {
  /** Directory (tenant) id. */
  readonly tenantId: string;
  /**
   * Claim of the ID token matched against `roleMapping` (FAB's `AUTH_OAUTH_ROLE_KEYS`).
   * @default 'roles' (app roles)
   */
  readonly rolesClaim?: string;
}

/** Options of {@link OidcProvider.okta}. */
export interface OktaOptions {
  /** Okta domain, e.g. `example.okta.com`. */
  readonly domain: string;
  /**
   * Custom authorization server id.
   * @default - the org authorization server
   */
  readonly authorizationServerId?: string;
}

/** Options of {@link OidcProvider.keycloak}. */
export interface KeycloakOptions {
  /** Keycloak base URL, e.g. `https://sso.example.com` (add `/auth` for Keycloak before 17). */
  readonly url: string;
  /** Realm. */
  readonly realm: string;
}

/** FAB's built-in provider names: a generic provider may not take one (FAB would handle it its own way). */
const FAB_PROVIDER_NAMES = ['github', 'githublocal', 'twitter', 'linkedin', 'google', 'azure', 'openshift', 'okta', 'auth0', 'keycloak', 'keycloak_before_17', 'authentik'];

function httpsUrl(prop: string, v: string): string {
  if (typeof v !== 'string' || !/^https:\/\/[A-Za-z0-9.-]+(:\d{1,5})?(\/[^\s"'\\]*)?$/.test(v)) {
    throw new Error(`${prop} must be an https:// URL, got '${v}'`);
  }
  return v.replace(/\/$/, '');
}

/** An OpenID Connect identity provider. */
export class OidcProvider {
  /** Any OpenID Connect provider with a discovery document; users and groups come from the validated ID token. */
  public static generic(options: GenericOidcOptions): OidcProvider {
    const name = options.name ?? 'oidc';
    if (!/^[a-z][a-z0-9_-]{0,31}$/.test(name)) throw new Error(`OidcProvider.generic name must be 1-32 lowercase letters, digits, '_' or '-', got '${name}'`);
    if (FAB_PROVIDER_NAMES.includes(name)) {
      throw new Error(`OidcProvider.generic name '${name}' is a provider FAB handles itself; use OidcProvider.${name === 'azure' ? 'azureEntraId' : name}(...) or another name`);
    }
    const claim = (prop: string, v: string | undefined, d: string) => {
      const c = v ?? d;
      if (!/^[A-Za-z0-9_:/.-]{1,128}$/.test(c)) throw new Error(`OidcProvider.generic ${prop} must be a claim name or dotted path, got '${c}'`);
      return c;
    };
    return new OidcProvider(name, {
      server_metadata_url: httpsUrl('OidcProvider.generic discoveryUrl', options.discoveryUrl),
    }, ['openid', 'email', 'profile'], {
      usernameClaim: claim('usernameClaim', options.usernameClaim, 'preferred_username'),
      groupsClaim: claim('groupsClaim', options.groupsClaim, 'groups'),
    });
  }

  /** Microsoft Entra ID (Azure AD): FAB's `azure` provider, which validates the ID token against the tenant. */
  public static azureEntraId(options: AzureEntraIdOptions): OidcProvider {
    if (!/^[A-Za-z0-9.-]{1,64}$/.test(options.tenantId ?? '') || ['common', 'organizations', 'consumers'].includes(options.tenantId)) {
      throw new Error(`OidcProvider.azureEntraId tenantId must be your tenant's id or domain (not common/organizations/consumers), got '${options.tenantId}'`);
    }
    const base = `https://login.microsoftonline.com/${options.tenantId}`;
    const rolesClaim = options.rolesClaim ?? 'roles';
    if (!/^[A-Za-z0-9_.-]{1,128}$/.test(rolesClaim)) throw new Error(`OidcProvider.azureEntraId rolesClaim must be a claim name, got '${rolesClaim}'`);
    return new OidcProvider('azure', {
      api_base_url: `${base}/oauth2`,
      server_metadata_url: `${base}/v2.0/.well-known/openid-configuration`,
    }, ['openid', 'email', 'profile'], undefined, { tenant_id: options.tenantId }, rolesClaim);
  }

  /** Okta: FAB's `okta` provider (groups from the userinfo `groups` claim; add the `groups` claim in Okta). */
  public static okta(options: OktaOptions): OidcProvider {
    if (!/^[A-Za-z0-9.-]{1,253}$/.test(options.domain ?? '')) throw new Error(`OidcProvider.okta domain must be a host name like 'example.okta.com', got '${options.domain}'`);
    if (options.authorizationServerId !== undefined && !/^[A-Za-z0-9]{1,64}$/.test(options.authorizationServerId)) {
      throw new Error(`OidcProvider.okta authorizationServerId must be letters and digits, got '${options.authorizationServerId}'`);
    }
    const base = options.authorizationServerId ? `https://${options.domain}/oauth2/${options.authorizationServerId}` : `https://${options.domain}`;
    return new OidcProvider('okta', {
      api_base_url: options.authorizationServerId ? `${base}/v1/` : `${base}/oauth2/v1/`,
      server_metadata_url: `${base}/.well-known/openid-configuration`,
    }, ['openid', 'email', 'profile', 'groups']);
  }

  /** Keycloak: FAB's `keycloak` provider (groups from the userinfo `groups` claim; add a group-membership mapper). */
  public static keycloak(options: KeycloakOptions): OidcProvider {
    const url = httpsUrl('OidcProvider.keycloak url', options.url);
    if (!/^[A-Za-z0-9_.-]{1,255}$/.test(options.realm ?? '')) throw new Error(`OidcProvider.keycloak realm must be a realm name, got '${options.realm}'`);
    const realm = `${url}/realms/${options.realm}`;
    return new OidcProvider('keycloak', {
      api_base_url: `${realm}/protocol/`,
      server_metadata_url: `${realm}/.well-known/openid-configuration`,
    }, ['openid', 'email', 'profile']);
  }

  private constructor(
    /** FAB provider name. */
    public readonly name: string,
    /** @internal */ public readonly _remoteApp: Record<string, string>,
    /** Scopes requested when none are given. */
    public readonly defaultScopes: string[],
    /** @internal claims read by the generated override (generic providers only) */
    public readonly _claims?: { usernameClaim: string; groupsClaim: string },
    /** @internal */ public readonly _clientKwargs: Record<string, string> = {},
    /** @internal claim of the ID token matched against the role mapping (`AUTH_OAUTH_ROLE_KEYS`) */
    public readonly _rolesClaim?: string,
  ) {}

  /** The provider's HTTPS port (the discovery document's; the endpoints of every preset are on the same host). */
  public get port(): number {
    const m = /^https:\/\/[^/:]+(?::(\d+))?/.exec(this._remoteApp.server_metadata_url);
    return m?.[1] ? Number(m[1]) : 443;
  }

  /** Whether the generated security manager reads the claims (FAB has no built-in handling for it). */
  public get isGeneric(): boolean {
    return this._claims !== undefined;
  }
}

/** Options of {@link AirflowAuth.oidc}. */
export interface OidcAuthOptions extends ExternalAuthOptions {
  /** The identity provider. */
  readonly provider: OidcProvider;
  /** OAuth client id registered at the provider. */
  readonly clientId: string;
  /** OAuth client secret. Reaches the api-server only, as a mounted file. */
  readonly clientSecret: SecretKeyRef;
  /**
   * Scopes requested.
   * @default - `openid email profile` (Okta adds `groups`)
   */
  readonly scopes?: string[];
  /**
   * CIDRs the provider's addresses are in: with NetworkPolicies on, the api-server may reach them on the
   * provider's HTTPS port only (443, or the port of its URL).
   * @default ['0.0.0.0/0'] - any address, on that port only (a cloud provider's addresses change)
   */
  readonly providerCidrs?: string[];
}

/** Where the api-server's login reaches out to (NetworkPolicy egress). */
export interface AuthEgress {
  /** What is reached, for the policy's description. */
  readonly description: string;
  readonly cidrs: string[];
  readonly port: number;
}

/** A Secret key the api-server needs as a file. */
export interface AuthSecretFile {
  /** Volume name, also the directory under `<AIRFLOW_HOME>/secrets`. */
  readonly volume: string;
  readonly ref: SecretKeyRef;
}

/** Login settings LDAP and OIDC share. */
interface CommonSettings {
  readonly mapping: Record<string, string[]>;
  readonly syncRolesAtLogin: boolean;
  readonly selfRegistration: boolean;
  readonly defaultRole?: string;
}

/**
 * A role mapping as JSON exactly as Helm's toJson writes it (keys sorted bytewise, `<>&` escaped): the same mapping
 * always gives the same text, whatever order it was written in.
 */
export function roleMappingJson(mapping: Record<string, string[]>): string {
  return goJson(mapping);
}

/** A Secret key the api-server mounts as a file, and when. */
export interface LoginSecretFile {
  readonly volume: string;
  readonly ref: SecretRef;
  readonly when: Val<boolean>;
}

/** Where the api-server's login connects to (NetworkPolicy egress), and when. */
export interface LoginEgress {
  readonly when: Val<boolean>;
  readonly description: string;
  readonly cidrs: Val<string[]>;
  readonly port: Val<number>;
}

/**
 * What the login mode contributes to a release, as the composition computes with it (literals from
 * {@link AirflowAuth}, or references into the values in a chart).
 */
export interface LoginInputs {
  /** Users log in with database passwords. */
  readonly database: Val<boolean>;
  /** webserver_config.py (a literal text per mode). */
  readonly webserverConfig: unknown;
  /** Checksum of webserver_config.py on the api-server's pods (absent for database login). */
  readonly checksum?: unknown;
  /** The login settings as environment variables of the api-server. */
  readonly env: unknown[];
  readonly secretFiles: LoginSecretFile[];
  readonly egress: LoginEgress[];
  /** Declared custom roles (empty: none, and no sync Job). */
  readonly roles: Val<RoleSyncSpec[]>;
}

/** Environment variables from settings, leaving out the unset ones. */
function envList(settings: Record<string, string | undefined>): k8s.EnvVar[] {
  return Object.entries(settings).filter(([, v]) => v !== undefined).map(([name, value]) => ({ name, value }));
}

/**
 * How users log in to Airflow (FAB auth manager) and which roles exist. Produces `webserver_config.py` (secrets
 * are read from mounted files, never written into it), the Secret files the api-server mounts, and the custom
 * roles the sync Job keeps in the database.
 * @see https://airflow.apache.org/docs/apache-airflow-providers-fab/stable/auth-manager/webserver-authentication.html
 */
export class AirflowAuth {
  /** Users and passwords in the metadata database (the first admin comes from `adminUser`). */
  public static database(options: DatabaseAuthOptions = {}): AirflowAuth {
    return new AirflowAuth(AuthKind.DATABASE, 'AirflowAuth.database', options);
  }

  /** Login against an LDAP directory (FAB `AUTH_LDAP`); `POST /auth/token` accepts directory users too. */
  public static ldap(options: LdapAuthOptions): AirflowAuth {
    return new AirflowAuth(AuthKind.LDAP, 'AirflowAuth.ldap', options);
  }

  /** Login with OpenID Connect (FAB `AUTH_OAUTH`): browser login only, MFA as the provider enforces it. */
  public static oidc(options: OidcAuthOptions): AirflowAuth {
    return new AirflowAuth(AuthKind.OIDC, 'AirflowAuth.oidc', options);
  }

  /** Same as {@link AirflowAuth.oidc}. */
  public static oauth(options: OidcAuthOptions): AirflowAuth {
    return new AirflowAuth(AuthKind.OIDC, 'AirflowAuth.oauth', options);
  }

  /** The `webserver_config.py` of the login mode: fixed text, which reads `env` and the secret files. */
  public readonly webserverConfig: string;
  /** The login settings, as environment variables of the api-server (no secret: secrets are file paths). */
  public readonly env: k8s.EnvVar[] = [];
  /** Secret keys mounted as files into the api-server only. */
  private readonly secretFiles: AuthSecretFile[] = [];
  /** Declared custom roles, as the sync Job reads them (empty when none). */
  private readonly roleSync: RoleSyncSpec[];
  /** Relaxed security defaults, one sentence each. */
  public readonly relaxedDefaults: string[] = [];
  /** The LDAP directory (LDAP only). */
  public readonly directory?: LdapDirectory;
  /** The directory or identity provider the api-server connects to (none for database login). */
  private readonly egress?: AuthEgress;
  /** The role mapping or default role names the role kept for Cornflow (`Cornflow`). */
  public readonly mapsCornflowRole: boolean = false;

  private constructor(/** The login mode. */ public readonly kind: AuthKind, prop: string, options: DatabaseAuthOptions | LdapAuthOptions | OidcAuthOptions) {
    this.roleSync = roleSyncSpecs(`${prop} roles`, options.roles ?? []);
    // `Cornflow` is the role the release keeps when Cornflow is enabled (AirflowChart checks that it is).
    const listed = [...BUILTIN_ROLES, ...this.roleSync.map((r) => r.name)];
    const roleNames = [...listed, CORNFLOW_AIRFLOW_ROLE];
    if (kind === AuthKind.DATABASE) {
      this.webserverConfig = DATABASE_WEBSERVER_CONFIG;
      return;
    }
    const ext = options as ExternalAuthOptions;
    const mapping = ext.roleMapping ?? {};
    this.mapsCornflowRole = ext.defaultRole === CORNFLOW_AIRFLOW_ROLE || Object.values(mapping).some((rs) => Array.isArray(rs) && rs.includes(CORNFLOW_AIRFLOW_ROLE));
    for (const [group, roles] of Object.entries(mapping)) {
      if (!Array.isArray(roles) || roles.length === 0) {
        throw new Error(`${prop} roleMapping['${group}'] must list at least one role, got ${JSON.stringify(roles)}`);
      }
      for (const r of roles) {
        if (!roleNames.includes(r)) {
          throw new Error(`${prop} roleMapping['${group}']: unknown role '${r}'; use one of ${listed.join(', ')}, or declare it in roles`);
        }
      }
    }
    if (Object.keys(mapping).length === 0 && ext.defaultRole === undefined) {
      throw new Error(`${prop} needs roleMapping (groups -> roles) or defaultRole: with neither, every login would be refused`);
    }
    const registration = ext.selfRegistration ?? true;
    if (ext.defaultRole !== undefined) {
      if (!roleNames.includes(ext.defaultRole)) {
        throw new Error(`${prop} defaultRole: unknown role '${ext.defaultRole}'; use one of ${listed.join(', ')}, or declare it in roles`);
      }
      if (ext.defaultRole === BuiltinRole.ADMIN) {
        throw new Error(`${prop} defaultRole 'Admin' would make every user who can log in an administrator; `
          + 'map your administrators\' group to Admin in roleMapping instead');
      }
      if (!registration) throw new Error(`${prop} defaultRole only applies with selfRegistration; remove defaultRole or set selfRegistration: true`);
    }
    const common: CommonSettings = {
      mapping,
      syncRolesAtLogin: ext.syncRolesAtLogin ?? true,
      selfRegistration: registration,
      defaultRole: ext.defaultRole,
    };
    if (kind === AuthKind.LDAP) {
      const o = options as LdapAuthOptions;
      if (!(o.directory instanceof LdapDirectory)) {
        throw new Error(`${prop} directory is required: pass new LdapDirectory({ url, userBase, ... })`);
      }
      const d = o.directory;
      this.directory = d;
      if (d.groupBase) {
        const base = d.groupBase.toLowerCase().replace(/\s*,\s*/g, ',');
        for (const group of Object.keys(mapping)) {
          if (!group.toLowerCase().replace(/\s*,\s*/g, ',').endsWith(`,${base}`)) {
            throw new Error(`${prop} roleMapping key '${group}' is not a group DN under directory.groupBase '${d.groupBase}'; `
              + 'keys are full group DNs, e.g. \'cn=airflow-admins,' + d.groupBase + '\'');
          }
        }
      }
      if (d.transport === LdapTransport.INSECURE) {
        this.relaxedDefaults.push(`auth directory.allowInsecureLdap: LDAP passwords cross the network to ${d.host} unencrypted`);
      }
      if (d.caCertificate) this.secretFiles.push({ volume: 'ldap-ca', ref: d.caCertificate });
      if (d.bindPassword) this.secretFiles.push({ volume: 'ldap-bind-password', ref: d.bindPassword });
      this.egress = { description: 'the LDAP directory', cidrs: d.cidrs, port: d.port };
      this.webserverConfig = LDAP_WEBSERVER_CONFIG;
      this.env = envList(this.ldapEnv(d, common));
    } else {
      const o = options as OidcAuthOptions;
      if (!(o.provider instanceof OidcProvider)) {
        throw new Error(`${prop} provider is required: OidcProvider.generic({ discoveryUrl }), .azureEntraId, .okta or .keycloak`);
      }
      if (typeof o.clientId !== 'string' || !/^[^\s"'\\]{1,256}$/.test(o.clientId)) {
        throw new Error(`${prop} clientId must be the client id registered at the provider, got '${o.clientId}'`);
      }
      if (!(o.clientSecret instanceof SecretKeyRef)) {
        throw new Error(`${prop} clientSecret is required: pass SecretKeyRef.fromSecret(name, key) of the OAuth client secret`);
      }
      const scopes = o.scopes ?? o.provider.defaultScopes;
      for (const s of scopes) {
        if (!/^[\x21\x23-\x5B\x5D-\x7E]{1,128}$/.test(s)) throw new Error(`${prop} scopes: '${s}' is not a valid OAuth scope`);
      }
      if (o.provider.isGeneric && !scopes.includes('openid')) {
        throw new Error(`${prop} scopes must include 'openid' for a generic OIDC provider (users come from the validated ID token), got ${JSON.stringify(scopes)}`);
      }
      const cidrs = validateCidrs(`${prop} providerCidrs`, o.providerCidrs ?? ['0.0.0.0/0']);
      if (cidrs.length === 0) throw new Error(`${prop} providerCidrs must name at least one CIDR; omit it for any address`);
      this.egress = { description: 'the identity provider', cidrs, port: o.provider.port };
      this.secretFiles.push({ volume: 'oauth-client-secret', ref: o.clientSecret });
      this.webserverConfig = OIDC_WEBSERVER_CONFIG;
      this.env = envList(this.oidcEnv(o.provider, o.clientId, scopes, common));
    }
  }

  /** Whether users log in with database passwords. */
  public get isDatabase(): boolean {
    return this.kind === AuthKind.DATABASE;
  }

  /** @internal What this login contributes to a release. */
  public _loginInputs(): LoginInputs {
    return {
      database: this.isDatabase,
      webserverConfig: this.webserverConfig,
      checksum: this.isDatabase ? undefined : createHash('sha256').update(this.webserverConfig).digest('hex'),
      env: this.env,
      secretFiles: this.secretFiles.map((f) => ({ volume: f.volume, ref: { name: f.ref.name, key: f.ref.key }, when: true })),
      egress: this.egress ? [{ when: true, ...this.egress }] : [],
      roles: this.roleSync,
    };
  }

  /** Where the api-server finds a mounted secret file. */
  private secretPath(volume: string): string {
    const f = this.secretFiles.find((x) => x.volume === volume)!;
    return `${SECRET_DIR}/${volume}/${f.ref.key}`;
  }

  private static commonEnv(common: CommonSettings): Record<string, string | undefined> {
    return {
      AUTH_ROLES_MAPPING: roleMappingJson(common.mapping),
      AUTH_ROLES_SYNC_AT_LOGIN: String(common.syncRolesAtLogin),
      AUTH_USER_REGISTRATION: String(common.selfRegistration),
      // Always set (empty: none), so the login settings end with the same variable whatever the values.
      AUTH_USER_REGISTRATION_ROLE: common.defaultRole ?? '',
    };
  }

  private ldapEnv(d: LdapDirectory, common: CommonSettings): Record<string, string | undefined> {
    return {
      ...d.referenceSettings(),
      LDAP_CA_CERT_FILE: d.caCertificate ? this.secretPath('ldap-ca') : undefined,
      LDAP_BIND_PASSWORD_FILE: d.bindDn ? this.secretPath('ldap-bind-password') : undefined,
      ...AirflowAuth.commonEnv(common),
    };
  }

  private oidcEnv(provider: OidcProvider, clientId: string, scopes: string[], common: CommonSettings): Record<string, string | undefined> {
    return {
      OAUTH_PROVIDER: provider.name,
      OAUTH_CLIENT_ID: clientId,
      OAUTH_CLIENT_SECRET_FILE: this.secretPath('oauth-client-secret'),
      OAUTH_SERVER_METADATA_URL: provider._remoteApp.server_metadata_url,
      OAUTH_API_BASE_URL: provider._remoteApp.api_base_url,
      OAUTH_SCOPE: scopes.join(' '),
      OAUTH_TENANT_ID: provider._clientKwargs.tenant_id,
      OAUTH_ROLES_CLAIM: provider._rolesClaim,
      OAUTH_USERNAME_CLAIM: provider._claims?.usernameClaim,
      OAUTH_GROUPS_CLAIM: provider._claims?.groupsClaim,
      ...AirflowAuth.commonEnv(common),
    };
  }
}

