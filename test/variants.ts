import { Testing } from 'cdk8s';
import { k8s } from 'cdk8s-plus-27';
import { EXAMPLES } from '../examples';
import {
  AirflowAuth, AirflowChart, AirflowChartProps, BuiltinRole, Cornflow, CornflowAuth, CornflowDatabase, DagAccess, DagGrant, DagsSource, Executor, IngressTls, LdapDirectory, LdapDirectoryProps, OidcProvider, SecretKeyRef,
} from '../src';
import { Manifest, synth } from './util';

/** Names of the user's extra containers in the variants (hardened by the chart, but their writable paths are the user's). */
export const USER_CONTAINERS = ['statsd-exporter', 'prepare'];

/** An LDAP directory over ldaps:// with a CA, a search account and group search (shared by the auth tests). */
export const LDAP_DIRECTORY_PROPS: LdapDirectoryProps = {
  url: 'ldaps://ldap.example.org',
  caCertificate: SecretKeyRef.fromSecret('ldap-ca', 'ca.crt'),
  bindDn: 'cn=airflow,ou=services,dc=example,dc=org',
  bindPassword: SecretKeyRef.fromSecret('ldap-bind', 'password'),
  userBase: 'ou=people,dc=example,dc=org',
  groupBase: 'ou=groups,dc=example,dc=org',
};

/** Every example plus the toggles the examples do not cover, so property tests walk every kind of pod. */
export const VARIANT_PROPS: Record<string, AirflowChartProps> = {
  'celery+flower': { flower: { enabled: true } },
  'kubernetes-executor+metrics': { executor: Executor.KUBERNETES, namespace: 'airflow', metrics: { enabled: true } },
  'kubernetes-executor': { executor: Executor.KUBERNETES, dags: DagsSource.fromPersistentVolumeClaim('dags') },
  'local+ingress': { executor: Executor.LOCAL, ingress: { host: 'airflow.example.com', tls: IngressTls.fromSecret('airflow-tls') } },
  'no-admin-no-task-egress': { adminUser: { enabled: false }, networkPolicy: { taskEgressCidrs: [] } },
  // LDAP with a search account, a directory CA and a custom role (the sync-roles Job).
  'ldap+custom-role': {
    auth: AirflowAuth.ldap({
      directory: new LdapDirectory(LDAP_DIRECTORY_PROPS),
      roleMapping: {
        'cn=airflow-admins,ou=groups,dc=example,dc=org': [BuiltinRole.ADMIN],
        'cn=team-a,ou=groups,dc=example,dc=org': ['team-a'],
      },
      roles: [{ name: 'team-a', dags: [DagGrant.dags(['billing'], DagAccess.READ), DagGrant.tagged(['team-a'], DagAccess.TRIGGER)] }],
    }),
  },
  // Cornflow with its defaults: a second database on the embedded PostgreSQL, database login, generated users.
  'cornflow': { cornflow: Cornflow.enabled() },
  // Cornflow with LocalExecutor (the scheduler calls Cornflow back) and LDAP for both, and its Ingress.
  'cornflow+local+ldap': {
    executor: Executor.LOCAL,
    auth: AirflowAuth.ldap({
      directory: new LdapDirectory(LDAP_DIRECTORY_PROPS),
      roleMapping: { 'cn=airflow-admins,ou=groups,dc=example,dc=org': [BuiltinRole.ADMIN], 'cn=cornflow,ou=groups,dc=example,dc=org': ['Cornflow'] },
    }),
    cornflow: Cornflow.enabled({
      auth: CornflowAuth.ldap({ roleGroups: { planner: 'planners', service: 'cornflow' } }),
      serviceUser: { username: 'cornflow-service', password: SecretKeyRef.fromSecret('cornflow-service', 'password') },
      airflowUser: { username: 'cornflow', password: SecretKeyRef.fromSecret('cornflow-airflow', 'password') },
      ingress: { host: 'cornflow.example.com', tls: IngressTls.fromSecret('cornflow-tls') },
    }),
  },
  // Cornflow with KubernetesExecutor (task pods call Cornflow back) and an external database with a CA.
  'cornflow+kubernetes': {
    executor: Executor.KUBERNETES,
    cornflow: Cornflow.enabled({
      database: CornflowDatabase.external({
        host: 'pg.example.com', password: SecretKeyRef.fromSecret('cornflow-db', 'password'), caCertificate: SecretKeyRef.fromSecret('pg-ca', 'ca.crt'),
      }),
    }),
  },
  // Sidecars and extra init containers (with k8s.Quantity resources), which the chart hardens like its own.
  'sidecars': {
    scheduler: {
      extraContainers: [{
        name: 'statsd-exporter', image: 'prom/statsd-exporter:v0.28.0', ports: [{ containerPort: 9102, name: 'metrics' }],
        livenessProbe: { tcpSocket: { port: k8s.IntOrString.fromNumber(9102) }, periodSeconds: 20 },
        readinessProbe: { httpGet: { path: '/metrics', port: k8s.IntOrString.fromNumber(9102) }, periodSeconds: 10 },
        resources: {
          requests: { 'cpu': k8s.Quantity.fromString('50m'), 'memory': k8s.Quantity.fromString('64Mi'), 'ephemeral-storage': k8s.Quantity.fromString('64Mi') },
          limits: { 'memory': k8s.Quantity.fromString('128Mi'), 'ephemeral-storage': k8s.Quantity.fromString('256Mi') },
        },
      }],
    },
    apiServer: {
      extraInitContainers: [{
        name: 'prepare', image: 'busybox:1.36', command: ['true'],
        resources: {
          requests: { 'cpu': k8s.Quantity.fromString('10m'), 'memory': k8s.Quantity.fromString('16Mi'), 'ephemeral-storage': k8s.Quantity.fromString('16Mi') },
          limits: { 'memory': k8s.Quantity.fromString('32Mi'), 'ephemeral-storage': k8s.Quantity.fromString('64Mi') },
        },
      }],
    },
  },
  'oidc': {
    auth: AirflowAuth.oidc({
      provider: OidcProvider.generic({ discoveryUrl: 'https://sso.example.org/.well-known/openid-configuration' }),
      clientId: 'airflow',
      clientSecret: SecretKeyRef.fromSecret('airflow-oidc', 'client-secret'),
      roleMapping: { 'airflow-admins': [BuiltinRole.ADMIN] },
      defaultRole: BuiltinRole.VIEWER,
    }),
  },
};

let cache: Record<string, Manifest[]> | undefined;

/** Synthesized output of every example and variant, by name. */
export function allOutputs(): Record<string, Manifest[]> {
  if (cache) return cache;
  cache = {};
  for (const [name, build] of Object.entries(EXAMPLES)) {
    cache[`example:${name}`] = synth(build(Testing.app()));
  }
  for (const [name, props] of Object.entries(VARIANT_PROPS)) {
    cache[`variant:${name}`] = synth(new AirflowChart(Testing.app(), 'airflow', { namespace: 'airflow', ...props }));
  }
  return cache;
}
