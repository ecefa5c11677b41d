/**
 * The public API of cdk8s-airflow: the chart, its props and the factories and enums that build them. Everything else
 * (the components' internals, the chart emitter, validators and scripts) is private and may change in any release.
 *
 * The components are the chart's properties (`chart.scheduler.workload.resource`, for patching); they cannot be built
 * on their own (their constructors are private), since each needs the release's configuration, Secrets and network
 * policies that `AirflowChart` wires together.
 */

// The chart and its props.
export { AirflowChart } from './airflow-chart';
export type {
  AirflowChartProps, AdminUserOptions, AirflowSecretsOptions, FlowerChartOptions, MetricsChartOptions, NetworkPolicyOptions,
  PostgresChartOptions, RedisChartOptions,
} from './airflow-chart';

// Components, reachable from the chart (not constructible on their own).
export { ApiServer } from './components/api-server';
export type { ApiServerOptions } from './components/api-server';
export { CeleryWorkers } from './components/celery-worker';
export type { CeleryWorkersOptions } from './components/celery-worker';
export { CornflowServer } from './components/cornflow';
export { DagProcessor } from './components/dag-processor';
export type { DagProcessorOptions } from './components/dag-processor';
export { Flower } from './components/flower';
export type { FlowerOptions } from './components/flower';
export { StatsdExporter } from './components/statsd-exporter';
export type { StatsdExporterOptions } from './components/statsd-exporter';
export type { JobOptions } from './components/jobs';
export { Postgres } from './components/postgres';
export type { PostgresOptions } from './components/postgres';
export { Redis } from './components/redis';
export type { RedisOptions } from './components/redis';
export type { AirflowRelease } from './components/release';
export { Scheduler } from './components/scheduler';
export type { SchedulerOptions } from './components/scheduler';
export { Triggerer } from './components/triggerer';
export type { TriggererOptions } from './components/triggerer';
export { Workload } from './components/workload';
export type { WorkloadOptions } from './components/workload';
export { API_SERVER_PORT } from './components/api-server';
export { CORNFLOW_PORT, CORNFLOW_ROLE } from './components/cornflow';
export { FLOWER_PORT } from './components/flower';
export { STATSD_INGEST_PORT, STATSD_METRICS_PORT } from './components/statsd-exporter';
export { POSTGRES_PORT } from './components/postgres';
export { REDIS_PORT } from './components/redis';

// Configuration.
export type { AirflowConfig, AirflowConfigValue } from './config/airflow-config';
export { AirflowAuth, AuthKind, OidcProvider } from './config/auth';
export type {
  AuthOptions, AzureEntraIdOptions, DatabaseAuthOptions, ExternalAuthOptions, GenericOidcOptions, KeycloakOptions,
  LdapAuthOptions, OidcAuthOptions, OktaOptions,
} from './config/auth';
export { LdapDirectory, LdapTransport } from './config/auth-ldap';
export type { LdapDirectoryProps } from './config/auth-ldap';
export { BuiltinRole, CORNFLOW_AIRFLOW_ROLE, DagAccess, DagGrant, FabPermission } from './config/auth-roles';
export type { CustomRole } from './config/auth-roles';
export { CeleryBroker } from './config/broker';
export type { EmbeddedBrokerOptions, ExternalBrokerOptions } from './config/broker';
export { Cornflow, CornflowAuth, CornflowDatabase, CornflowRole } from './config/cornflow';
export type { CornflowLdapOptions, EmbeddedCornflowDatabaseOptions, CornflowOptions, CornflowRoleGroups, CornflowUserOptions } from './config/cornflow';
export { DagsSource } from './config/dags';
export { MetadataDatabase, SslMode } from './config/database';
export type { EmbeddedDatabaseOptions, ExternalDatabaseOptions } from './config/database';
export { Executor } from './config/executor';
export { AIRFLOW_VERSION, ContainerImage, DefaultImages, ImagePullPolicy } from './config/image';
export type { ContainerImageOptions } from './config/image';
export { IngressTls, IssuerKind } from './config/ingress';
export type { IngressHostOptions, IngressOptions } from './config/ingress';
export { SecretKeyRef } from './config/secrets';

// Security.
export { Connections, ExternalPeer, NetworkPort } from './security/network';
export type { INetworkEndpoint } from './security/network';
export { ImageIdentity } from './security/pod-security';
export type { RunAsIdentity, SecurityRelaxations } from './security/pod-security';
