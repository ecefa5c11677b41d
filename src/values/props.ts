import { Size } from 'cdk8s';
import { ContainerResources, Cpu, k8s } from 'cdk8s-plus-27';
import { Duration } from 'cdk8s';
import { AirflowChartProps } from '../airflow-chart';
import { WorkloadOptions } from '../components/workload';
import { AirflowAuth, CustomRole, DagAccess, DagGrant, FabPermission, LdapDirectory, OidcProvider } from '../config/auth';
import { CeleryBroker } from '../config/broker';
import { Cornflow, CornflowAuth, CornflowDatabase } from '../config/cornflow';
import { DagsSource } from '../config/dags';
import { MetadataDatabase, SslMode } from '../config/database';
import { Executor } from '../config/executor';
import { ContainerImage, ImagePullPolicy } from '../config/image';
import { IngressTls, IssuerKind } from '../config/ingress';
import { SecretKeyRef } from '../config/secrets';
import { k8sFromValues } from './k8s-objects';
import { defaultValues, mergeValues, Values } from './model';

/** Parses a memory-like quantity (`512Mi`, `8Gi`) from values, naming the key. */
export function parseSize(key: string, q: string): Size {
  const m = /^([0-9]+)(Ki|Mi|Gi|Ti)$/.exec(q);
  if (!m) throw new Error(`${key} must be a quantity like 512Mi or 8Gi, got '${q}'`);
  const n = Number(m[1]);
  switch (m[2]) {
    case 'Ki': return Size.kibibytes(n);
    case 'Mi': return Size.mebibytes(n);
    case 'Gi': return Size.gibibytes(n);
    default: return Size.tebibytes(n);
  }
}

/** Parses a CPU quantity (`250m`, `1`, `0.5`) from values, naming the key. */
export function parseCpu(key: string, q: string): Cpu {
  if (/^[0-9]+m$/.test(q)) return Cpu.millis(Number(q.slice(0, -1)));
  if (/^[0-9]+(\.[0-9]{1,3})?$/.test(q)) return Cpu.units(Number(q));
  throw new Error(`${key} must be a CPU quantity like 250m or 1, got '${q}'`);
}

function resourcesFrom(key: string, r: any): ContainerResources | undefined {
  if (!r || Object.keys(r).length === 0) return undefined;
  const req = r.requests ?? {};
  const lim = r.limits ?? {};
  return {
    cpu: { request: req.cpu ? parseCpu(`${key}.requests.cpu`, String(req.cpu)) : undefined, limit: lim.cpu ? parseCpu(`${key}.limits.cpu`, String(lim.cpu)) : undefined },
    memory: { request: req.memory ? parseSize(`${key}.requests.memory`, req.memory) : undefined, limit: lim.memory ? parseSize(`${key}.limits.memory`, lim.memory) : undefined },
    ephemeralStorage: req['ephemeral-storage'] || lim['ephemeral-storage'] ? {
      request: req['ephemeral-storage'] ? parseSize(`${key}.requests.ephemeral-storage`, req['ephemeral-storage']) : undefined,
      limit: lim['ephemeral-storage'] ? parseSize(`${key}.limits.ephemeral-storage`, lim['ephemeral-storage']) : undefined,
    } : undefined,
  };
}

const nonEmpty = <T>(v: T[] | undefined): T[] | undefined => (v && v.length ? v : undefined);
const nonEmptyMap = <T>(v: Record<string, T> | undefined): Record<string, T> | undefined => (v && Object.keys(v).length ? v : undefined);
const str = (v: string | undefined | null): string | undefined => (v ? v : undefined);

/** A list of Kubernetes objects from values as cdk8s-plus-27 props; undefined when empty. */
const k8sList = <T>(definition: string, v: unknown[] | undefined): T[] | undefined => nonEmpty(v)?.map((x) => k8sFromValues<T>(definition, x));

function workload(key: string, v: any): WorkloadOptions {
  return {
    resources: resourcesFrom(`${key}.resources`, v.resources),
    nodeSelector: nonEmptyMap(v.nodeSelector),
    tolerations: k8sList<k8s.Toleration>('Toleration', v.tolerations),
    affinity: nonEmptyMap(v.affinity) ? k8sFromValues<k8s.Affinity>('Affinity', v.affinity) : undefined,
    topologySpreadConstraints: k8sList<k8s.TopologySpreadConstraint>('TopologySpreadConstraint', v.topologySpreadConstraints),
    priorityClassName: str(v.priorityClassName),
    podAnnotations: nonEmptyMap(v.podAnnotations),
    podLabels: nonEmptyMap(v.podLabels),
    extraEnv: k8sList<k8s.EnvVar>('EnvVar', v.extraEnv),
    extraVolumes: k8sList<k8s.Volume>('Volume', v.extraVolumes),
    extraVolumeMounts: k8sList<k8s.VolumeMount>('VolumeMount', v.extraVolumeMounts),
    extraContainers: k8sList<k8s.Container>('Container', v.extraContainers),
    extraInitContainers: k8sList<k8s.Container>('Container', v.extraInitContainers),
  };
}

function image(v: any): ContainerImage {
  const options = { registry: str(v.registry), pullPolicy: v.pullPolicy as ImagePullPolicy };
  return v.digest ? ContainerImage.fromDigest(v.repository, v.digest, str(v.tag), options) : ContainerImage.of(v.repository, v.tag, options);
}

/** A Secret reference from `{existingSecret, key}`; undefined when not set (the chart generates it). */
function secretRef(v: any): SecretKeyRef | undefined {
  return v?.existingSecret ? SecretKeyRef.fromSecret(v.existingSecret, v.key) : undefined;
}

function requiredRef(key: string, v: any): SecretKeyRef {
  const r = secretRef(v);
  if (!r) throw new Error(`${key}.existingSecret is required: name the Secret holding it`);
  return r;
}

/** The OpenID Connect provider of `auth.oidc`: the preset named by `provider`, from the key of its name. */
function oidcProvider(o: any): OidcProvider {
  switch (o.provider) {
    case 'generic':
      return OidcProvider.generic({ discoveryUrl: o.generic.discoveryUrl, name: o.generic.name, usernameClaim: o.generic.usernameClaim, groupsClaim: o.generic.groupsClaim });
    case 'azureEntraId':
      return OidcProvider.azureEntraId({ tenantId: o.azureEntraId.tenantId, rolesClaim: o.azureEntraId.rolesClaim });
    case 'okta':
      return OidcProvider.okta({ domain: o.okta.domain, authorizationServerId: str(o.okta.authorizationServerId) });
    case 'keycloak':
      return OidcProvider.keycloak({ url: o.keycloak.url, realm: o.keycloak.realm });
    default:
      throw new Error(`auth.oidc.provider must be generic, azureEntraId, okta or keycloak, got '${o.provider}'`);
  }
}

/** `auth.roles`: each DAG grant names DAG ids or tags (the schema refuses both), each permission an action and a resource. */
function customRoles(roles: any[]): CustomRole[] {
  return roles.map((r) => ({
    name: r.name,
    dags: r.dags?.map((g: any) => (g.tags ? DagGrant.tagged(g.tags, g.access as DagAccess) : DagGrant.dags(g.dagIds ?? [], g.access as DagAccess))),
    permissions: r.permissions?.map((p: any) => FabPermission.of(p.action, p.resource)),
  }));
}

/** The directory of `auth.ldap` (Airflow's LDAP login, and Cornflow's). */
function ldapDirectory(l: any): LdapDirectory {
  return new LdapDirectory({
    url: l.url,
    startTls: l.startTls,
    allowInsecureLdap: l.allowInsecureLdap,
    caCertificate: secretRef(l.caCertificate),
    bindDn: str(l.bindDn),
    // The password belongs to bindDn (the schema requires both or neither).
    bindPassword: l.bindDn ? secretRef(l.bindPassword) : undefined,
    userBase: l.userBase,
    usernameAttribute: l.usernameAttribute,
    userObjectClass: l.userObjectClass,
    emailAttribute: l.emailAttribute,
    firstNameAttribute: l.firstNameAttribute,
    lastNameAttribute: l.lastNameAttribute,
    userGroupAttribute: l.userGroupAttribute,
    groupBase: str(l.groupBase),
    groupObjectClass: l.groupObjectClass,
    groupMemberAttribute: l.groupMemberAttribute,
    cidrs: l.cidrs,
  });
}

/** `cornflow`: Cornflow's options (undefined when disabled). */
function cornflow(v: any): Cornflow | undefined {
  const c = v.cornflow;
  if (!c.enabled) return undefined;
  const d = c.database;
  const ldap = c.auth.type === 'ldap';
  const groups = c.auth.roleGroups;
  const ing = c.ingress;
  return Cornflow.enabled({
    image: image(v.images.cornflow),
    replicas: c.replicas,
    workers: c.workers,
    auth: ldap ? CornflowAuth.ldap({
      directory: ldapDirectory(v.auth.ldap),
      roleGroups: { admin: str(groups.admin), planner: str(groups.planner), viewer: str(groups.viewer), service: str(groups.service) },
    }) : CornflowAuth.database(),
    database: d.external ? CornflowDatabase.external({
      host: d.host,
      port: d.port,
      database: d.database,
      user: d.user,
      password: requiredRef('cornflow.database.externalPassword', d.externalPassword),
      sslMode: d.sslMode as SslMode,
      caCertificate: secretRef(d.caCertificate),
      cidrs: d.cidrs,
    }) : CornflowDatabase.embedded({ password: secretRef(d.password) }),
    adminUser: { username: c.adminUser.username, email: c.adminUser.email, password: secretRef(c.adminUser.password) },
    serviceUser: { username: c.serviceUser.username, email: c.serviceUser.email, password: secretRef(c.serviceUser.password) },
    airflowUser: v.auth.type === 'ldap' ? { username: c.airflowUser.username, password: secretRef(c.airflowUser.password) } : { password: secretRef(c.airflowUser.password) },
    secretKey: secretRef(c.secretKey),
    biSecretKey: secretRef(c.biSecretKey),
    ingress: ing.enabled ? {
      host: ing.host,
      className: str(ing.className),
      annotations: nonEmptyMap(ing.annotations),
      tls: ing.tls.secretName
        ? IngressTls.fromSecret(ing.tls.secretName)
        : ing.tls.certManager.issuer ? IngressTls.certManager(ing.tls.certManager.issuer, ing.tls.certManager.kind as IssuerKind) : (undefined as any),
    } : undefined,
    ...workload('cornflow', c),
  });
}

/** `auth`: the login mode with its settings; the values of the other modes are ignored. */
function auth(a: any): AirflowAuth {
  const roles = customRoles(a.roles);
  const external = {
    roles,
    roleMapping: a.roleMapping,
    syncRolesAtLogin: a.syncRolesAtLogin,
    selfRegistration: a.selfRegistration,
    defaultRole: str(a.defaultRole),
  };
  switch (a.type) {
    case 'database':
      return AirflowAuth.database({ roles });
    case 'ldap': {
      const l = a.ldap;
      return AirflowAuth.ldap({
        ...external,
        directory: ldapDirectory(l),
      });
    }
    case 'oidc': {
      const o = a.oidc;
      return AirflowAuth.oidc({
        ...external,
        provider: oidcProvider(o),
        clientId: o.clientId,
        clientSecret: requiredRef('auth.oidc.clientSecret', o.clientSecret),
        scopes: nonEmpty(o.scopes),
        providerCidrs: o.cidrs,
      });
    }
    default:
      throw new Error(`auth.type must be database, ldap or oidc, got '${a.type}'`);
  }
}

/** Identity of the release the values are rendered for (Helm: `.Release.Name` / `.Release.Namespace`). */
export interface ReleaseIdentity {
  readonly releaseName: string;
  readonly namespace: string;
}

/**
 * Maps Helm values (merged over the defaults) to {@link AirflowChartProps}: the bridge that makes the chart and
 * the constructs one product. The Helm generator synthesizes through it, and tests prove that the defaults give
 * exactly what `new AirflowChart(scope, id, {})` gives.
 */
export function propsFromValues(userValues: Values, release: ReleaseIdentity): AirflowChartProps {
  const v = mergeValues(defaultValues(), userValues);
  const executor = v.executor as Executor;
  const celery = executor === Executor.CELERY;
  const db = v.externalDatabase;
  const rd = v.externalRedis;
  const ing = v.ingress;
  return {
    releaseName: release.releaseName,
    namespace: release.namespace,
    executor,
    image: image(v.images.airflow),
    imagePullSecrets: nonEmpty((v.imagePullSecrets as { name: string }[]).map((s) => s.name)),
    config: nonEmptyMap(v.config),
    extraConfig: nonEmptyMap(v.extraConfig),
    dags: v.dags.persistentVolumeClaim ? DagsSource.fromPersistentVolumeClaim(v.dags.persistentVolumeClaim) : undefined,
    secrets: {
      fernetKey: secretRef(v.secrets.fernetKey),
      jwtSecret: secretRef(v.secrets.jwtSecret),
      apiSecretKey: secretRef(v.secrets.apiSecretKey),
    },
    apiServer: { replicas: v.apiServer.replicas, workers: v.apiServer.workers, ...workload('apiServer', v.apiServer) },
    scheduler: { replicas: v.scheduler.replicas, ...workload('scheduler', v.scheduler) },
    dagProcessor: { replicas: v.dagProcessor.replicas, ...workload('dagProcessor', v.dagProcessor) },
    triggerer: { replicas: v.triggerer.replicas, ...workload('triggerer', v.triggerer) },
    workers: celery ? {
      replicas: v.workers.replicas,
      concurrency: v.workers.concurrency,
      terminationGracePeriod: Duration.seconds(v.workers.terminationGracePeriodSeconds),
      queues: v.workers.queues,
      logVolumeSize: parseSize('workers.logVolumeSize', v.workers.logVolumeSize),
      ...workload('workers', v.workers),
    } : undefined,
    flower: {
      enabled: v.flower.enabled,
      replicas: v.flower.replicas,
      username: secretRef(v.flower.username),
      password: secretRef(v.flower.password),
      ...workload('flower', v.flower),
    },
    database: v.postgres.enabled
      ? MetadataDatabase.embedded({
        storageSize: parseSize('postgres.storageSize', v.postgres.storageSize),
        storageClassName: str(v.postgres.storageClassName),
        password: secretRef(v.postgres.password),
        runAs: { user: v.postgres.runAsUser, group: v.postgres.runAsGroup },
      })
      : MetadataDatabase.external({
        host: db.host,
        port: db.port,
        database: db.database,
        user: db.user,
        password: requiredRef('externalDatabase.password', db.password),
        sslMode: db.sslMode as SslMode,
        caCertificate: secretRef(db.caCertificate),
        cidrs: db.cidrs,
      }),
    metrics: {
      enabled: v.metrics.enabled,
      image: image(v.images.statsdExporter),
      extraMappings: nonEmpty(v.metrics.extraMappings),
      scrapeNamespaceLabels: nonEmptyMap(v.metrics.scrapeNamespaceLabels),
      scrapePodLabels: nonEmptyMap(v.metrics.scrapePodLabels),
      ...workload('metrics', v.metrics),
    },
    postgres: { image: image(v.images.postgres), ...workload('postgres', v.postgres) },
    broker: !celery ? undefined : v.redis.enabled
      ? CeleryBroker.embedded({ password: secretRef(v.redis.password) })
      : CeleryBroker.external({
        host: rd.host,
        port: rd.port,
        password: requiredRef('externalRedis.password', rd.password),
        tls: rd.tls,
        caCertificate: secretRef(rd.caCertificate),
        databaseIndex: rd.databaseIndex,
        cidrs: rd.cidrs,
      }),
    redis: { image: image(v.images.redis), ...workload('redis', v.redis) },
    auth: auth(v.auth),
    adminUser: {
      // LDAP and OIDC logins do not check database passwords: a database admin would only be a shared password.
      enabled: v.adminUser.enabled && v.auth.type === 'database',
      username: secretRef(v.adminUser.username),
      password: secretRef(v.adminUser.password),
      email: v.adminUser.email,
      firstName: v.adminUser.firstName,
      lastName: v.adminUser.lastName,
    },
    ingress: ing.enabled ? {
      host: ing.host,
      className: str(ing.className),
      annotations: nonEmptyMap(ing.annotations),
      controllerNamespaceLabels: nonEmptyMap(ing.controllerNamespaceLabels),
      tls: ing.tls.secretName
        ? IngressTls.fromSecret(ing.tls.secretName)
        : ing.tls.certManager.issuer ? IngressTls.certManager(ing.tls.certManager.issuer, ing.tls.certManager.kind as IssuerKind) : (undefined as any),
    } : undefined,
    networkPolicy: {
      enabled: v.networkPolicy.enabled,
      taskEgressCidrs: v.networkPolicy.taskEgressCidrs,
      dnsNamespaceLabels: nonEmptyMap(v.networkPolicy.dnsNamespaceLabels),
      dnsPodLabels: nonEmptyMap(v.networkPolicy.dnsPodLabels),
    },
    security: { writableRootFilesystem: v.security.writableRootFilesystem },
    jobs: { ttlSecondsAfterFinished: v.jobs.ttlSecondsAfterFinished ?? undefined },
    cornflow: cornflow(v),
  };
}
