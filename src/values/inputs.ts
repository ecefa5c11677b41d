/**
 * The release's inputs as references into the values model: what the chart emitter composes the release from
 * (src/compose.ts), so that every template is the constructs' own code printed as Go text. Structural choices are
 * named conditions (`airflow.celery`, `airflow.embeddedRedis`, ...), values used in several places named values
 * (the Secrets' names, the connection URLs).
 */
import { ComponentInputs, CornflowReleaseInputs, ReleaseInputs, SecretChoice } from '../compose';
import { cornflowLdapEnv } from '../components/cornflow';
import { ImageIdentity } from '../security/pod-security';
import { OptionalSecretRef } from '../components/release';
import { Executor } from '../config/executor';
import { LDAP_WEBSERVER_CONFIG, OIDC_WEBSERVER_CONFIG, DATABASE_WEBSERVER_CONFIG } from '../config/auth-webserver-config';
import { LoginEgress, LoginInputs, LoginSecretFile } from '../config/auth';
import { apply, Expr, Kind, OpDef, ReleaseField, Ref, Val } from '../expr/core';
import { and, concat, condition, eq, ifElse, isEmpty, isNumber, isSet, join, mebibytes, named, not, orDefault, sha256, str, toJson } from '../expr/ops';
import { items, spread, template, when, whenAll } from '../expr/tree';
import { KUBE_DNS_NAMESPACE, KUBE_DNS_PODS, METRICS_SCRAPER_NAMESPACE } from '../security/network';
import { isGroup, leaves, ValueGroup, VALUES_MODEL } from './model';

const KINDS = new Map<string, Kind>(leaves().map(({ path, leaf }) => [path, kindOfType(leaf.type)]));

function kindOfType(t: string | string[]): Kind {
  const first = Array.isArray(t) ? t.find((x) => x !== 'null') ?? t[0] : t;
  switch (first) {
    case 'string': return 'string';
    case 'integer': return 'int';
    case 'boolean': return 'bool';
    case 'array': return 'list';
    case 'object': return 'map';
    default: return 'any';
  }
}

/** A reference to a value of the model (a leaf, or a whole group as a map); unknown paths are refused. */
export function valueRef<T = unknown>(path: string): Ref<T> {
  const kind = KINDS.get(path);
  if (kind) return new Ref<T>(path, kind);
  let g: ValueGroup = VALUES_MODEL;
  for (const k of path.split('.')) {
    const n = g.children[k];
    if (!n || !isGroup(n)) throw new Error(`internal: '${path}' is not in the values model`);
    g = n;
  }
  return new Ref<T>(path, 'map');
}

const v = valueRef;
const release = new ReleaseField('Name');

const EXECUTOR = v<Executor>('executor');
/** Named conditions of the executor. */
export const CELERY = condition('airflow.celery', 'The CeleryExecutor runs tasks: Celery workers and a Redis broker.', eq(EXECUTOR, Executor.CELERY));
export const LOCAL = condition('airflow.localExecutor', 'The LocalExecutor runs tasks in the scheduler.', eq(EXECUTOR, Executor.LOCAL));
export const KUBERNETES = condition('airflow.kubernetesExecutor', 'The KubernetesExecutor runs each task in a pod of its own.', eq(EXECUTOR, Executor.KUBERNETES));
const EMBEDDED_POSTGRES = condition('airflow.embeddedPostgres', 'The release runs its own PostgreSQL (else externalDatabase).', v<boolean>('postgres.enabled'));
const EMBEDDED_REDIS = condition('airflow.embeddedRedis', 'Celery with the release\'s own Redis.', and(CELERY, v<boolean>('redis.enabled')));
const EXTERNAL_REDIS = condition('airflow.externalRedis', 'Celery with an external Redis (externalRedis).', and(CELERY, not(v<boolean>('redis.enabled'))));
const LDAP = condition('airflow.ldap', 'Users log in against an LDAP directory.', eq(v<string>('auth.type'), 'ldap'));
const OIDC = condition('airflow.oidc', 'Users log in with OpenID Connect.', eq(v<string>('auth.type'), 'oidc'));
const DATABASE_LOGIN = eq(v<string>('auth.type'), 'database');

/**
 * A Secret the release generates unless `<path>.existingSecret` names the user's: its name is the user's Secret or
 * `<release>-<suffix>` (a named value, used wherever the Secret is), its key `<path>.key`.
 */
function choice(path: string, suffix: string, doc: string, name: string): SecretChoice {
  const existing = v<string>(`${path}.existingSecret`);
  return {
    generated: isEmpty(existing),
    name: named(name, `The Secret holding ${doc}: ${path}.existingSecret, or <release>-${suffix} generated in the cluster.`,
      orDefault(existing, str`${release}-${suffix}`)),
    key: v<string>(`${path}.key`),
  };
}

/** A Secret the user must name. */
function required(path: string): SecretChoice {
  return { generated: false, name: v<string>(`${path}.existingSecret`), key: v<string>(`${path}.key`) };
}

/** A Secret the user may name (`present` a named condition). */
function optional(path: string, when: Val<boolean>, name: string, doc: string): OptionalSecretRef {
  return {
    present: condition(name, doc, and(when, isSet(v<string>(`${path}.existingSecret`)))),
    name: v<string>(`${path}.existingSecret`),
    key: v<string>(`${path}.key`),
  };
}

/** A component's scheduling and customization values. */
function component(path: string, replicas: Val<number> | undefined = v<number>(`${path}.replicas`)): ComponentInputs {
  return {
    replicas,
    resources: v(`${path}.resources`),
    nodeSelector: v(`${path}.nodeSelector`),
    tolerations: v(`${path}.tolerations`),
    affinity: v(`${path}.affinity`),
    topologySpreadConstraints: v(`${path}.topologySpreadConstraints`),
    priorityClassName: v(`${path}.priorityClassName`),
    podAnnotations: v(`${path}.podAnnotations`),
    podLabels: v(`${path}.podLabels`),
    extraEnv: v(`${path}.extraEnv`),
    extraVolumes: v(`${path}.extraVolumes`),
    extraVolumeMounts: v(`${path}.extraVolumeMounts`),
    extraContainers: v(`${path}.extraContainers`),
    extraInitContainers: v(`${path}.extraInitContainers`),
    affinityInput: v(path),
  };
}

/** The release's inputs from the values, for a chart named `<chartName>-<chartVersion>`. */
export function inputsFromValues(chartLabel: string): ReleaseInputs {
  const ext = (k: string) => v(`externalDatabase.${k}`);
  const extRedis = (k: string) => v(`externalRedis.${k}`);
  const embeddedPg = EMBEDDED_POSTGRES;
  return {
    releaseName: release,
    namespace: new ReleaseField('Namespace'),
    executor: EXECUTOR,
    executors: { celery: CELERY, local: LOCAL, kubernetes: KUBERNETES },
    images: { airflow: v('images.airflow'), postgres: v('images.postgres'), redis: v('images.redis') },
    imagePullSecrets: v('imagePullSecrets'),
    config: v('config'),
    extraConfig: v('extraConfig'),
    dagsClaim: v('dags.persistentVolumeClaim'),
    secrets: {
      fernetKey: choice('secrets.fernetKey', 'fernet-key', 'the Fernet key', 'airflow.fernetKeySecret'),
      jwtSecret: choice('secrets.jwtSecret', 'jwt-secret', 'the JWT signing secret', 'airflow.jwtSecretSecret'),
      apiSecretKey: choice('secrets.apiSecretKey', 'api-secret-key', 'the [api] secret_key', 'airflow.apiSecretKeySecret'),
    },
    database: {
      embedded: embeddedPg,
      host: ifElse(embeddedPg, str`${release}-postgres`, ext('host') as Expr<string>),
      port: ifElse(embeddedPg, 5432, ext('port') as Expr<number>),
      database: ifElse(embeddedPg, 'airflow', ext('database') as Expr<string>),
      user: ifElse(embeddedPg, 'airflow', ext('user') as Expr<string>),
      password: passwordChoice(embeddedPg, choice('postgres.password', 'postgres', 'the PostgreSQL password', 'airflow.postgresPasswordSecret'), required('externalDatabase.password'), 'airflow.databasePasswordSecret', 'the metadata database password'),
      sslMode: ifElse(embeddedPg, 'disable', ext('sslMode') as Expr<string>),
      caCertificate: optional('externalDatabase.caCertificate', not(embeddedPg), 'airflow.databaseCa', 'The external database\'s CA certificate is mounted (externalDatabase.caCertificate).'),
      cidrs: ext('cidrs') as Expr<string[]>,
      storageSize: v('postgres.storageSize'),
      storageClassName: v('postgres.storageClassName'),
      runAs: { user: v('postgres.runAsUser'), group: v('postgres.runAsGroup') },
    },
    broker: {
      embedded: EMBEDDED_REDIS,
      external: EXTERNAL_REDIS,
      host: ifElse(v<boolean>('redis.enabled'), str`${release}-redis`, extRedis('host') as Expr<string>),
      port: ifElse(v<boolean>('redis.enabled'), 6379, extRedis('port') as Expr<number>),
      password: passwordChoice(v<boolean>('redis.enabled'), choice('redis.password', 'redis', 'the Redis password', 'airflow.redisOwnPasswordSecret'), required('externalRedis.password'), 'airflow.redisPasswordSecret', 'the Redis password'),
      tls: and(not(v<boolean>('redis.enabled')), extRedis('tls') as Expr<boolean>),
      caCertificate: optional('externalRedis.caCertificate', EXTERNAL_REDIS, 'airflow.redisCa', 'The external Redis\'s CA certificate is mounted (externalRedis.caCertificate).'),
      databaseIndex: ifElse(v<boolean>('redis.enabled'), 0, extRedis('databaseIndex') as Expr<number>),
      cidrs: extRedis('cidrs') as Expr<string[]>,
    },
    apiServer: { ...component('apiServer'), workers: v('apiServer.workers') },
    scheduler: component('scheduler'),
    dagProcessor: component('dagProcessor'),
    triggerer: component('triggerer'),
    workers: {
      ...component('workers'),
      concurrency: v('workers.concurrency'),
      terminationGracePeriodSeconds: v('workers.terminationGracePeriodSeconds'),
      queues: v('workers.queues'),
      logVolumeSizeMi: mebibytes(v<string>('workers.logVolumeSize')),
    },
    flower: {
      ...component('flower'),
      enabled: v('flower.enabled'),
      username: choice('flower.username', 'flower', 'Flower\'s user name', 'airflow.flowerUsernameSecret'),
      password: choice('flower.password', 'flower', 'Flower\'s password', 'airflow.flowerPasswordSecret'),
    },
    metrics: {
      ...component('metrics', 1),
      enabled: v('metrics.enabled'),
      image: v('images.statsdExporter'),
      extraMappings: v('metrics.extraMappings'),
      scrapeNamespaceLabels: orDefault(v<Record<string, string>>('metrics.scrapeNamespaceLabels'), METRICS_SCRAPER_NAMESPACE),
      scrapePodLabels: v('metrics.scrapePodLabels'),
    },
    postgres: component('postgres', 1),
    redis: component('redis', 1),
    login: loginFromValues(),
    adminUser: {
      enabled: condition('airflow.adminUser', 'The first admin user is created (database login only).', and(v<boolean>('adminUser.enabled'), DATABASE_LOGIN)),
      username: choice('adminUser.username', 'admin', 'the admin user name', 'airflow.adminUsernameSecret'),
      password: choice('adminUser.password', 'admin', 'the admin password', 'airflow.adminPasswordSecret'),
      email: v('adminUser.email'),
      firstName: v('adminUser.firstName'),
      lastName: v('adminUser.lastName'),
    },
    ingress: {
      enabled: v('ingress.enabled'),
      host: v('ingress.host'),
      className: v('ingress.className'),
      annotations: v('ingress.annotations'),
      tlsSecretName: named('airflow.tlsSecret', 'The Ingress\'s TLS Secret: ingress.tls.secretName, or <release>-tls issued by cert-manager.',
        orDefault(v<string>('ingress.tls.secretName'), str`${release}-tls`)),
      // An existing TLS Secret wins: cert-manager must not overwrite it.
      certManager: isEmpty(v('ingress.tls.secretName')),
      issuer: v('ingress.tls.certManager.issuer'),
      issuerKind: v('ingress.tls.certManager.kind'),
      controllerNamespaceLabels: orDefault(v<Record<string, string>>('ingress.controllerNamespaceLabels'), { 'kubernetes.io/metadata.name': 'ingress-nginx' }),
    },
    network: {
      enabled: v('networkPolicy.enabled'),
      taskEgressCidrs: v('networkPolicy.taskEgressCidrs'),
      dnsNamespaceLabels: orDefault(v<Record<string, string>>('networkPolicy.dnsNamespaceLabels'), KUBE_DNS_NAMESPACE),
      dnsPodLabels: orDefault(v<Record<string, string>>('networkPolicy.dnsPodLabels'), KUBE_DNS_PODS),
    },
    writableRootFilesystem: v('security.writableRootFilesystem'),
    jobs: {
      ttlSecondsAfterFinished: v('jobs.ttlSecondsAfterFinished'),
      ttlSet: condition('airflow.jobTtl', 'Finished Jobs are deleted after jobs.ttlSecondsAfterFinished seconds.', isNumber(v('jobs.ttlSecondsAfterFinished'))),
    },
    managedBy: new ReleaseField('Service'),
    chartLabel,
    cornflow: cornflowFromValues(),
  };
}

/** Cornflow's inputs from the values. */
function cornflowFromValues(): CornflowReleaseInputs {
  const c = (k: string) => v(`cornflow.${k}`);
  const external = condition('airflow.cornflowExternalDatabase', 'Cornflow runs, its database on an external server (cornflow.database.external).',
    and(v<boolean>('cornflow.enabled'), v<boolean>('cornflow.database.external')));
  const ldap = condition('airflow.cornflowLdap', 'People log in to Cornflow against the LDAP directory of auth.ldap.', eq(v<string>('cornflow.auth.type'), 'ldap'));
  const l = (k: string) => v<string>(`auth.ldap.${k}`);
  const group = (role: string) => v<string>(`cornflow.auth.roleGroups.${role}`);
  const ownDb = choice('cornflow.database.password', 'cornflow-db', 'Cornflow\'s DB password', 'airflow.cornflowOwnDatabaseSecret');
  const dbPassword: SecretChoice = passwordChoice(not(external), ownDb, required('cornflow.database.externalPassword'),
    'airflow.cornflowDatabaseSecret', 'Cornflow\'s DB password');
  const secretKey = choice('cornflow.secretKey', 'cornflow', 'Cornflow\'s token key', 'airflow.cornflowSecretKeySecret');
  const biSecretKey = choice('cornflow.biSecretKey', 'cornflow', 'Cornflow\'s BI key', 'airflow.cornflowBiSecretKeySecret');
  const adminPassword = choice('cornflow.adminUser.password', 'cornflow', 'its admin password', 'airflow.cornflowAdminSecret');
  const servicePassword = choice('cornflow.serviceUser.password', 'cornflow', 'its service password', 'airflow.cornflowServiceSecret');
  const airflowPassword = choice('cornflow.airflowUser.password', 'cornflow', 'its Airflow password', 'airflow.cornflowAirflowSecret');
  const caPresent = condition('airflow.cornflowDatabaseCa', 'Cornflow\'s external database CA certificate is mounted (cornflow.database.caCertificate).',
    and(external, isSet(v<string>('cornflow.database.caCertificate.existingSecret'))));
  return {
    enabled: v('cornflow.enabled'),
    identity: ImageIdentity.CORNFLOW,
    settings: {
      ...component('cornflow'),
      image: v('images.cornflow'),
      workers: c('workers') as Val<number>,
      ldap,
      ldapEnv: cornflowLdapEnv({
        url: l('url'), bindDn: l('bindDn'), userBase: l('userBase'), usernameAttribute: l('usernameAttribute'), userObjectClass: l('userObjectClass'),
        emailAttribute: l('emailAttribute'), groupBase: l('groupBase'), groupObjectClass: l('groupObjectClass'),
        groups: { admin: group('admin'), planner: group('planner'), viewer: group('viewer'), service: group('service') },
      }),
      ldapBindPassword: { name: l('bindPassword.existingSecret'), key: l('bindPassword.key') },
      database: {
        embedded: not(external),
        host: ifElse(external, c('database.host') as Expr<string>, str`${release}-postgres`),
        port: ifElse(external, c('database.port') as Expr<number>, 5432),
        database: ifElse(external, c('database.database') as Expr<string>, 'cornflow'),
        user: ifElse(external, c('database.user') as Expr<string>, 'cornflow'),
        password: dbPassword,
        sslMode: ifElse(external, c('database.sslMode') as Expr<string>, 'disable'),
        caCertificate: { present: caPresent, name: v<string>('cornflow.database.caCertificate.existingSecret'), key: v<string>('cornflow.database.caCertificate.key') },
      },
      adminUser: { username: c('adminUser.username') as Val<string>, email: c('adminUser.email') as Val<string>, password: adminPassword },
      serviceUser: { username: c('serviceUser.username') as Val<string>, email: c('serviceUser.email') as Val<string>, password: servicePassword },
      airflowUser: { username: c('airflowUser.username') as Val<string>, password: airflowPassword },
      secretKey,
      biSecretKey,
      corsOrigin: named('airflow.cornflowOrigin', 'Cornflow\'s only CORS origin: https://<cornflow.ingress.host>, or none without its Ingress.',
        ifElse(v<boolean>('cornflow.ingress.enabled'), concat('https://', v<string>('cornflow.ingress.host')), '')),
    },
    secretKey,
    biSecretKey,
    adminPassword,
    servicePassword,
    airflowPassword,
    databasePassword: ownDb,
    databaseCidrs: c('database.cidrs') as Val<string[]>,
    ldapPort: ldapPort(),
    ldapCidrs: v('auth.ldap.cidrs'),
    ingress: {
      enabled: v('cornflow.ingress.enabled'),
      host: v('cornflow.ingress.host'),
      className: v('cornflow.ingress.className'),
      annotations: v('cornflow.ingress.annotations'),
      tlsSecretName: named('airflow.cornflowTlsSecret', 'Cornflow\'s Ingress TLS Secret: cornflow.ingress.tls.secretName, or <release>-cornflow-tls issued by cert-manager.',
        orDefault(v<string>('cornflow.ingress.tls.secretName'), str`${release}-cornflow-tls`)),
      certManager: isEmpty(v('cornflow.ingress.tls.secretName')),
      issuer: v('cornflow.ingress.tls.certManager.issuer'),
      issuerKind: v('cornflow.ingress.tls.certManager.kind'),
    },
  };
}

/** The password of the embedded server (generated or the user's), or of the external one (the user's). */
function passwordChoice(embedded: Val<boolean>, own: SecretChoice, external: SecretChoice, name: string, doc: string): SecretChoice {
  return {
    generated: own.generated,
    name: named(`${name}`, `The Secret holding ${doc}.`, ifElse(embedded, own.name, external.name)),
    key: named(`${name}Key`, `The key of ${doc} in its Secret.`, ifElse(embedded, own.key, external.key)),
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Login

const SECRET_DIR = '/opt/airflow/secrets';

/** Scheme and authority of a URL: `scheme://host[:port]` (an IPv6 host in brackets). */
const AUTHORITY = '^[a-z]+://(\\[[^\\]]*\\]|[^/:]*)(:[0-9]+)?';

const URL_PORT: OpDef = {
  name: 'urlPort',
  kind: 'int',
  evaluate: (url: string, fallback: number) => {
    const m = new RegExp(AUTHORITY).exec(url);
    const port = m?.[2]?.slice(1);
    return port ? Number(port) : fallback;
  },
  go: ([url, fallback], operand) => `include "airflow.urlPort" (dict "url" ${operand(url)} "default" ${operand(fallback)})`,
  defines: {
    'airflow.urlPort': [
      '{{- /* The port of a URL (.url): the one after its host, else .default. */ -}}',
      '{{- define "airflow.urlPort" -}}',
      `{{- regexFind ${JSON.stringify(AUTHORITY)} .url | regexFind ":[0-9]+$" | trimPrefix ":" | default .default }}`,
      '{{- end }}',
    ].join('\n'),
  },
};

/** The port of a URL (`scheme://host:port/...`), or `fallback`. */
export function urlPort(url: Val<string>, fallback: Val<number>): Val<number> {
  return apply(URL_PORT, [url, fallback]);
}

/** The login settings from the values: one mode's environment, files, egress and webserver_config.py. */
function loginFromValues(): LoginInputs {
  const l = (k: string) => v<string>(`auth.ldap.${k}`);
  const o = (k: string) => v<string>(`auth.oidc.${k}`);
  const env = (name: string, value: Val<string>) => ({ name, value });
  const provider = o('provider');
  const providers: Record<string, Val<boolean>> = {
    generic: condition('airflow.oidcGeneric', 'OpenID Connect with any provider that has a discovery document.', eq(provider, 'generic'), 'login'),
    azureEntraId: condition('airflow.oidcEntraId', 'OpenID Connect with Microsoft Entra ID.', eq(provider, 'azureEntraId'), 'login'),
    okta: condition('airflow.oidcOkta', 'OpenID Connect with Okta.', eq(provider, 'okta'), 'login'),
    keycloak: eq(provider, 'keycloak'),
  };
  const isProvider = (p: string) => providers[p];
  const common = [
    env('AUTH_ROLES_MAPPING', named('airflow.roleMapping', 'auth.roleMapping as JSON (the api-server reads AUTH_ROLES_MAPPING).', toJson(v('auth.roleMapping')))),
    env('AUTH_ROLES_SYNC_AT_LOGIN', concat(v<boolean>('auth.syncRolesAtLogin') as unknown as Val<string>)),
    env('AUTH_USER_REGISTRATION', concat(v<boolean>('auth.selfRegistration') as unknown as Val<string>)),
    // Always set (empty: none), so the login settings end with the same variable whatever the values.
    env('AUTH_USER_REGISTRATION_ROLE', v('auth.defaultRole')),
  ];
  const ldapCa = condition('airflow.ldapCa', 'The api-server mounts the LDAP directory\'s CA certificate.', and(LDAP, isSet(l('caCertificate.existingSecret'))), 'login');
  const ldapBind = condition('airflow.ldapBind', 'The api-server searches the directory with a service account (bindDn) and mounts its password.',
    and(LDAP, isSet(l('bindDn'))), 'login');
  const okta = (path: Val<string>) => concat('https://', o('okta.domain'), ifElse(isSet(o('okta.authorizationServerId')), concat('/oauth2/', o('okta.authorizationServerId')), ''), path);
  const keycloakRealm = concat(o('keycloak.url'), '/realms/', o('keycloak.realm'));
  const azure = concat('https://login.microsoftonline.com/', o('azureEntraId.tenantId'));
  const ldapEnv = loginTemplate('airflow.ldap.env', 'The LDAP directory\'s settings (the api-server reads them in webserver_config.py).',
    env('LDAP_HOST', l('url')),
    env('LDAP_USE_TLS', concat(v<boolean>('auth.ldap.startTls') as unknown as Val<string>)),
    env('LDAP_USER_BASE', l('userBase')),
    env('LDAP_USERNAME_ATTRIBUTE', l('usernameAttribute')),
    env('LDAP_USER_OBJECT_CLASS', l('userObjectClass')),
    env('LDAP_EMAIL_ATTRIBUTE', l('emailAttribute')),
    env('LDAP_FIRSTNAME_ATTRIBUTE', l('firstNameAttribute')),
    env('LDAP_LASTNAME_ATTRIBUTE', l('lastNameAttribute')),
    env('LDAP_USER_GROUP_ATTRIBUTE', l('userGroupAttribute')),
    env('LDAP_GROUP_OBJECT_CLASS', l('groupObjectClass')),
    env('LDAP_GROUP_ATTRIBUTE', l('groupMemberAttribute')),
    when(ldapBind, env('LDAP_BIND_DN', l('bindDn'))),
    when(isSet(l('groupBase')), env('LDAP_GROUP_BASE', l('groupBase'))),
    when(ldapCa, env('LDAP_CA_CERT_FILE', concat(`${SECRET_DIR}/ldap-ca/`, l('caCertificate.key')))),
    when(ldapBind, env('LDAP_BIND_PASSWORD_FILE', concat(`${SECRET_DIR}/ldap-bind-password/`, l('bindPassword.key')))),
  );
  const oidcEnv = loginTemplate('airflow.oidc.env', 'The OpenID Connect provider\'s settings (the api-server reads them in webserver_config.py).',
    env('OAUTH_PROVIDER', named('airflow.oidcProviderName', 'The provider\'s name in FAB (azureEntraId is FAB\'s azure).',
      ifElse(isProvider('generic'), o('generic.name'), ifElse(isProvider('azureEntraId'), 'azure', provider)), 'login')),
    env('OAUTH_CLIENT_ID', o('clientId')),
    env('OAUTH_CLIENT_SECRET_FILE', concat(`${SECRET_DIR}/oauth-client-secret/`, o('clientSecret.key'))),
    env('OAUTH_SERVER_METADATA_URL', named('airflow.oidcDiscoveryUrl', 'The OpenID discovery document of the provider.',
      ifElse(isProvider('generic'), o('generic.discoveryUrl'),
        ifElse(isProvider('azureEntraId'), concat(azure, '/v2.0/.well-known/openid-configuration'),
          ifElse(isProvider('okta'), okta('/.well-known/openid-configuration'), concat(keycloakRealm, '/.well-known/openid-configuration')))))),
    when(not(isProvider('generic')), env('OAUTH_API_BASE_URL', named('airflow.oidcApiBaseUrl', 'The API base URL of a preset provider.',
      ifElse(isProvider('azureEntraId'), concat(azure, '/oauth2'),
        ifElse(isProvider('okta'), okta(ifElse(isSet(o('okta.authorizationServerId')), '/v1/', '/oauth2/v1/')), concat(keycloakRealm, '/protocol/')))))),
    env('OAUTH_SCOPE', named('airflow.oidcScopes', 'The scopes requested: auth.oidc.scopes, or openid email profile (and groups for Okta).',
      ifElse(isProvider('okta'), join(orDefault(v<string[]>('auth.oidc.scopes'), ['openid', 'email', 'profile', 'groups']), ' '),
        join(orDefault(v<string[]>('auth.oidc.scopes'), ['openid', 'email', 'profile']), ' ')), 'login')),
    whenAll(isProvider('azureEntraId'), env('OAUTH_TENANT_ID', o('azureEntraId.tenantId')), env('OAUTH_ROLES_CLAIM', o('azureEntraId.rolesClaim'))),
    whenAll(isProvider('generic'), env('OAUTH_USERNAME_CLAIM', o('generic.usernameClaim')), env('OAUTH_GROUPS_CLAIM', o('generic.groupsClaim'))),
  );
  const rolesEnv = loginTemplate('airflow.login.roles.env', 'How LDAP or OpenID Connect groups map to roles, and who may register.', ...common);
  const secretFiles: LoginSecretFile[] = [
    { volume: 'ldap-ca', ref: { name: l('caCertificate.existingSecret'), key: l('caCertificate.key') }, when: ldapCa },
    { volume: 'ldap-bind-password', ref: { name: l('bindPassword.existingSecret'), key: l('bindPassword.key') }, when: ldapBind },
    { volume: 'oauth-client-secret', ref: { name: o('clientSecret.existingSecret'), key: o('clientSecret.key') }, when: OIDC },
  ];
  const egress: LoginEgress[] = [
    {
      when: LDAP, description: 'the LDAP directory', cidrs: v('auth.ldap.cidrs'),
      port: ldapPort(),
    },
    {
      when: OIDC, description: 'the identity provider', cidrs: v('auth.oidc.cidrs'),
      port: named('airflow.oidcPort', 'The identity provider\'s HTTPS port: the one in its URL, or 443.',
        ifElse(isProvider('generic'), urlPort(o('generic.discoveryUrl'), 443), ifElse(isProvider('keycloak'), urlPort(o('keycloak.url'), 443), 443)), 'login'),
    },
  ];
  const sum = (text: string) => sha256(text) as string;
  return {
    database: DATABASE_LOGIN,
    webserverConfig: when(LDAP, LDAP_WEBSERVER_CONFIG, when(OIDC, OIDC_WEBSERVER_CONFIG, DATABASE_WEBSERVER_CONFIG)),
    checksum: when(LDAP, sum(LDAP_WEBSERVER_CONFIG), when(OIDC, sum(OIDC_WEBSERVER_CONFIG))),
    env: items<unknown>(when(LDAP, spread(ldapEnv)), when(OIDC, spread(oidcEnv)), when(not(DATABASE_LOGIN), spread(rolesEnv))),
    secretFiles,
    egress,
    roles: v('auth.roles'),
  };
}

/** The LDAP directory's port (Airflow's and Cornflow's egress). */
function ldapPort(): Val<number> {
  const url = v<string>('auth.ldap.url');
  return named('airflow.ldapPort', 'The LDAP directory\'s port: the one in auth.ldap.url, or 636 (ldaps) / 389.',
    ifElse(isLdaps(url), urlPort(url, 636), urlPort(url, 389)), 'login');
}

function isLdaps(url: Val<string>): Val<boolean> {
  return apply(HAS_PREFIX, [url, 'ldaps://']);
}

const HAS_PREFIX: OpDef = {
  name: 'hasPrefix', kind: 'bool',
  evaluate: (s: string, p: string) => String(s).startsWith(p),
  go: ([s, p], operand) => `hasPrefix ${operand(p)} ${operand(s)}`,
};


/** A block of the api-server's login settings, a named template of `_login.tpl`. */
function loginTemplate(name: string, doc: string, ...xs: unknown[]): unknown[] {
  return template<Record<string, never>>({ name, doc, file: 'login', kind: 'list', params: {}, body: () => items<unknown>(...xs) })({});
}
