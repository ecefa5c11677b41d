import { Chart, ChartProps, Size } from 'cdk8s';
import { Construct } from 'constructs';
import { ApiServer, ApiServerOptions } from './components/api-server';
import { CeleryWorkers, CeleryWorkersOptions } from './components/celery-worker';
import { DagProcessor, DagProcessorOptions } from './components/dag-processor';
import { Flower, FlowerOptions } from './components/flower';
import { StatsdExporter, StatsdExporterOptions } from './components/statsd-exporter';
import { JobOptions } from './components/jobs';
import { Postgres, PostgresOptions, POSTGRES_PORT, POSTGRES_STORAGE_DEFAULT } from './components/postgres';
import { Redis, RedisOptions, REDIS_PORT } from './components/redis';
import { AirflowRelease, imageSpecOf, validateReleaseName } from './components/release';
import { Scheduler, SchedulerOptions } from './components/scheduler';
import { Triggerer, TriggererOptions } from './components/triggerer';
import { validateReplicas, validateSeconds, WorkloadOptions, workloadSettings } from './components/workload';
import { ComponentInputs, composeRelease, SecretChoice } from './compose';
import { AirflowConfig, validateConfig } from './config/airflow-config';
import { AirflowAuth } from './config/auth';
import { CeleryBroker } from './config/broker';
import { DagsSource } from './config/dags';
import { MetadataDatabase, SslMode, validateCidrs, validateHost } from './config/database';
import { Executor } from './config/executor';
import { ContainerImage, DefaultImages } from './config/image';
import { IngressOptions, IngressTls, IssuerKind } from './config/ingress';
import { SecretKeyRef } from './config/secrets';
import { Cornflow, validateCornflowDirectory } from './config/cornflow';
import { CornflowReleaseInputs } from './compose';
import { CORNFLOW_AIRFLOW_ROLE, CORNFLOW_AIRFLOW_USER, cornflowLdapEnv, CornflowServer } from './components/cornflow';
import { LdapDirectory } from './config/auth-ldap';
import { KUBE_DNS_NAMESPACE, KUBE_DNS_PODS, METRICS_SCRAPER_NAMESPACE } from './security/network';
import { ImageIdentity, SecurityRelaxations } from './security/pod-security';
import { synthChart } from './synth';

/** Options of the optional Flower UI. */
export interface FlowerChartOptions extends FlowerOptions {
  /**
   * Deploy Flower (Celery executor only).
   * @default false
   */
  readonly enabled?: boolean;
  /**
   * Basic-auth user name.
   * @default - generated once in the cluster into `<release>-flower` (key `username`)
   */
  readonly username?: SecretKeyRef;
  /**
   * Basic-auth password.
   * @default - generated once in the cluster into `<release>-flower` (key `password`)
   */
  readonly password?: SecretKeyRef;
}

/** Options of the optional Prometheus metrics (a statsd_exporter Airflow sends StatsD metrics to). */
export interface MetricsChartOptions extends StatsdExporterOptions {
  /**
   * Deploy the statsd_exporter and turn on Airflow's StatsD metrics (`[metrics] statsd_on`).
   * @default false
   * @see https://airflow.apache.org/docs/apache-airflow/stable/administration-and-deployment/logging-monitoring/metrics.html
   */
  readonly enabled?: boolean;
  /**
   * statsd_exporter mapping rules put before the chart's (the first rule that matches a name wins, so yours win), e.g. `{ match: 'airflow.my_metric.*', name: 'airflow_my_metric', labels: { id: '$1' } }`.
   * @default - none
   * @see https://github.com/prometheus/statsd_exporter#metric-mapping-and-configuration
   */
  readonly extraMappings?: { [key: string]: any }[];
  /**
   * Labels of the namespace Prometheus runs in: only its pods may reach the metrics port (TCP 9102).
   * @default { 'kubernetes.io/metadata.name': 'monitoring' }
   */
  readonly scrapeNamespaceLabels?: { [key: string]: string };
  /**
   * Labels of the Prometheus pods in that namespace.
   * @default - every pod of the namespace
   */
  readonly scrapePodLabels?: { [key: string]: string };
}

/** Options of the embedded PostgreSQL (ignored with an external database). */
export interface PostgresChartOptions extends PostgresOptions {}

/** Options of the embedded Redis (ignored with an external Redis). */
export interface RedisChartOptions extends RedisOptions {}

/** The first admin user of the FAB auth manager. */
export interface AdminUserOptions {
  /**
   * Create the admin user.
   * @default true
   */
  readonly enabled?: boolean;
  /**
   * Login name.
   * @default - `admin`, stored in the generated Secret `<release>-admin` (key `username`)
   */
  readonly username?: SecretKeyRef;
  /**
   * Password.
   * @default - random, generated once in the cluster into `<release>-admin` (key `password`)
   */
  readonly password?: SecretKeyRef;
  /**
   * E-mail.
   * @default 'admin@example.com'
   */
  readonly email?: string;
  /**
   * First name.
   * @default 'Airflow'
   */
  readonly firstName?: string;
  /**
   * Last name.
   * @default 'Admin'
   */
  readonly lastName?: string;
}

/** Airflow's own secret keys; each defaults to a Secret generated once in the cluster. */
export interface AirflowSecretsOptions {
  /**
   * Fernet key encrypting connections and variables in the database.
   * @default - generated once into `<release>-fernet-key` (key `fernet-key`)
   */
  readonly fernetKey?: SecretKeyRef;
  /**
   * Key signing the API's JWTs (`[api_auth] jwt_secret`).
   * @default - generated once into `<release>-jwt-secret` (key `jwt-secret`)
   */
  readonly jwtSecret?: SecretKeyRef;
  /**
   * `[api] secret_key`: signs UI sessions and the api-server's requests to the log servers.
   * @default - generated once into `<release>-api-secret-key` (key `api-secret-key`)
   */
  readonly apiSecretKey?: SecretKeyRef;
}

/** NetworkPolicy settings. */
export interface NetworkPolicyOptions {
  /**
   * Create NetworkPolicies (default deny plus one allow per real connection). Disabling is a relaxation.
   * @default true
   */
  readonly enabled?: boolean;
  /**
   * CIDRs task-running pods (workers, triggerer, and the scheduler with LocalExecutor) may reach on any port.
   * An empty list confines tasks to the release.
   * @default ['0.0.0.0/0']
   */
  readonly taskEgressCidrs?: string[];
  /**
   * Labels of the namespace and pods of the cluster DNS.
   * @default { namespace: { 'kubernetes.io/metadata.name': 'kube-system' }, pods: { 'k8s-app': 'kube-dns' } }
   */
  readonly dnsNamespaceLabels?: Record<string, string>;
  /**
   * Labels of the cluster DNS pods.
   * @default { 'k8s-app': 'kube-dns' }
   */
  readonly dnsPodLabels?: Record<string, string>;
}

/** Props of {@link AirflowChart}. */
export interface AirflowChartProps extends ChartProps {
  /**
   * Prefix of every resource name (`<releaseName>-api-server`), like a Helm release name.
   * @default - the chart's construct id
   */
  readonly releaseName?: string;
  /**
   * Executor.
   * @default Executor.CELERY
   */
  readonly executor?: Executor;
  /**
   * Airflow image for every Airflow component.
   * @default DefaultImages.AIRFLOW
   */
  readonly image?: ContainerImage;
  /**
   * Secrets used to pull images.
   * @default - none
   */
  readonly imagePullSecrets?: string[];
  /**
   * Non-secret Airflow settings, `{ section: { key: value } }`, checked against Airflow's configuration reference
   * (Airflow 3.3.2 and its providers): unknown sections and keys (with the closest valid name), values of the wrong
   * type, deprecated, renamed and removed settings, secrets and the settings the chart owns throw at synth time.
   * @default - the chart's settings only
   * @see https://airflow.apache.org/docs/apache-airflow/3.3.2/configurations-ref.html
   */
  readonly config?: AirflowConfig;
  /**
   * Settings Airflow's configuration reference does not describe: your plugins' own sections and keys (or a
   * provider's this library does not know), written to airflow.cfg as given, after `config`. Keys the reference
   * describes belong in `config` and are refused here; secrets and chart-owned keys are refused as in `config`.
   * @default - none
   */
  readonly extraConfig?: AirflowConfig;
  /**
   * Metadata database.
   * @default MetadataDatabase.embedded()
   */
  readonly database?: MetadataDatabase;
  /**
   * Celery broker (Celery executor only).
   * @default CeleryBroker.embedded()
   */
  readonly broker?: CeleryBroker;
  /**
   * Where DAG files come from.
   * @default DagsSource.fromImage()
   */
  readonly dags?: DagsSource;
  /**
   * api-server options.
   * @default - 2 replicas
   */
  readonly apiServer?: ApiServerOptions;
  /**
   * Scheduler options.
   * @default - 2 replicas
   */
  readonly scheduler?: SchedulerOptions;
  /**
   * DAG processor options.
   * @default - 1 replica
   */
  readonly dagProcessor?: DagProcessorOptions;
  /**
   * Triggerer options.
   * @default - 1 replica
   */
  readonly triggerer?: TriggererOptions;
  /**
   * Celery worker options (Celery executor only).
   * @default - 2 replicas, concurrency 16, 10 minutes to shut down warm
   */
  readonly workers?: CeleryWorkersOptions;
  /**
   * Flower options.
   * @default - disabled
   */
  readonly flower?: FlowerChartOptions;
  /**
   * Prometheus metrics: a statsd_exporter, scraped on TCP 9102.
   * @default - disabled
   */
  readonly metrics?: MetricsChartOptions;
  /**
   * Embedded PostgreSQL options.
   * @default - see PostgresOptions
   */
  readonly postgres?: PostgresChartOptions;
  /**
   * Embedded Redis options.
   * @default - see RedisOptions
   */
  readonly redis?: RedisChartOptions;
  /**
   * How users log in (database, LDAP or OpenID Connect) and which custom roles exist.
   * @default AirflowAuth.database()
   */
  readonly auth?: AirflowAuth;
  /**
   * The first admin user (a database user). With LDAP or OIDC login it is not created unless enabled explicitly
   * (a break-glass account): administrators come from the identity provider's groups.
   * @default - created with generated credentials for database login; not created for LDAP or OIDC
   */
  readonly adminUser?: AdminUserOptions;
  /**
   * Airflow's secret keys.
   * @default - generated once in the cluster
   */
  readonly secrets?: AirflowSecretsOptions;
  /**
   * Ingress for the api-server (TLS only).
   * @default - no Ingress; reach the UI with `kubectl port-forward`
   */
  readonly ingress?: IngressOptions;
  /**
   * NetworkPolicies.
   * @default - enabled
   */
  readonly networkPolicy?: NetworkPolicyOptions;
  /**
   * Explicit relaxations of the security defaults.
   * @default - none
   */
  readonly security?: SecurityRelaxations;
  /**
   * Options of the release's Jobs.
   * @default - finished Jobs are kept
   */
  readonly jobs?: JobOptions;
  /**
   * Value of the `app.kubernetes.io/managed-by` label (the Helm chart sets `Helm`).
   * @default 'cdk8s'
   */
  readonly managedBy?: string;
  /**
   * Cornflow, the optimization server that runs its solvers as Airflow DAGs, next to Airflow
   * (`Cornflow.enabled({...})`).
   * @default - no Cornflow
   */
  readonly cornflow?: Cornflow;
}

/**
 * Apache Airflow 3 on Kubernetes, secure by default: api-server, scheduler, dag-processor, triggerer, Celery
 * workers, optional Flower, embedded or external PostgreSQL and Redis, migration / admin / secret Jobs,
 * default-deny NetworkPolicies, and an optional TLS Ingress.
 */
export class AirflowChart extends Chart {
  /**
   * The release's shared settings (names, image, configuration, Secrets, network policy settings) every component uses.
   * TypeScript only (value expressions).
   * @jsii ignore
   */
  public readonly release: AirflowRelease;
  /** The api-server (UI, REST API and execution API). */
  public readonly apiServer: ApiServer;
  /** The scheduler (with the LocalExecutor it also runs the tasks). */
  public readonly scheduler: Scheduler;
  /** The standalone dag-processor. */
  public readonly dagProcessor: DagProcessor;
  /** The triggerer (deferred tasks). */
  public readonly triggerer: Triggerer;
  /** The Celery workers; undefined unless the executor is Executor.CELERY. */
  public readonly workers?: CeleryWorkers;
  /** Flower; undefined unless `flower.enabled`. */
  public readonly flower?: Flower;
  /** The statsd_exporter; undefined unless `metrics.enabled`. */
  public readonly statsd?: StatsdExporter;
  /** The embedded PostgreSQL; undefined with `MetadataDatabase.external`. */
  public readonly postgres?: Postgres;
  /** The embedded Redis; undefined without Celery or with `CeleryBroker.external`. */
  public readonly redis?: Redis;
  /** The Cornflow server; undefined unless `cornflow` is `Cornflow.enabled(...)`. */
  public readonly cornflow?: CornflowServer;
  /** Security defaults this chart relaxes, one sentence each (empty when none). */
  public readonly relaxedDefaults: string[] = [];

  /** `<namespace>/<releaseName>`: what two charts of one App may not share (their objects would have the same names). */
  private readonly releaseKey: string;

  constructor(scope: Construct, id: string, props: AirflowChartProps = {}) {
    super(scope, id, props);
    const releaseName = validateReleaseName(props.releaseName ?? id);
    this.releaseKey = `${props.namespace ?? ''}/${releaseName}`;
    const twin = this.node.root.node.findAll().find((c) => c !== this && c instanceof AirflowChart && (c as AirflowChart).releaseKey === this.releaseKey);
    if (twin) {
      throw new Error(`AirflowChart '${this.node.path}': releaseName '${releaseName}' is already used in namespace '${props.namespace ?? '(none)'}' `
        + `by AirflowChart '${twin.node.path}'; every object is named <releaseName>-<component>, so one would overwrite the other: `
        + 'give each chart its own releaseName (or namespace)');
    }
    const executor = props.executor ?? Executor.CELERY;
    const image = props.image ?? DefaultImages.AIRFLOW;
    const database = props.database ?? MetadataDatabase.embedded();
    const celery = executor === Executor.CELERY;
    if (!Object.values(Executor).includes(executor)) {
      throw new Error(`executor must be one of ${Object.values(Executor).join(', ')}, got '${executor}'`);
    }
    if (props.broker && !celery) {
      throw new Error(`broker is only used with Executor.CELERY, got executor '${executor}'; remove broker or switch executor`);
    }
    if (props.workers && !celery) {
      throw new Error(`workers is only used with Executor.CELERY, got executor '${executor}'; remove workers or switch executor`);
    }
    if (props.flower?.enabled && !celery) {
      throw new Error(`flower.enabled requires Executor.CELERY (Flower monitors Celery workers), got executor '${executor}'`);
    }
    if (executor === Executor.KUBERNETES && !props.namespace) {
      throw new Error('namespace is required with Executor.KUBERNETES (the scheduler creates task pods there); set the chart\'s namespace prop');
    }
    const broker = celery ? (props.broker ?? CeleryBroker.embedded()) : undefined;
    const network = props.networkPolicy ?? {};
    const taskEgress = validateCidrs('networkPolicy.taskEgressCidrs', network.taskEgressCidrs ?? ['0.0.0.0/0']);
    const relaxations = props.security ?? {};
    if (relaxations.writableRootFilesystem) this.relaxedDefaults.push('security.writableRootFilesystem: containers may write to their root filesystem');
    if (network.enabled === false) this.relaxedDefaults.push('networkPolicy.enabled=false: pods accept and open connections to anything');
    const auth = props.auth ?? AirflowAuth.database();
    if (!(auth instanceof AirflowAuth)) throw new Error('auth must be AirflowAuth.database(), AirflowAuth.ldap({...}) or AirflowAuth.oidc({...})');
    this.relaxedDefaults.push(...auth.relaxedDefaults);
    if (props.ingress) {
      validateHost('ingress.host', props.ingress.host);
      if (!(props.ingress.tls instanceof IngressTls)) {
        throw new Error('ingress.tls is required: pass IngressTls.fromSecret(name) or IngressTls.certManager(issuer); plain HTTP is not supported');
      }
    }
    validateConfig(props.config ?? {}, props.extraConfig ?? {});
    const name = (c: string) => `${releaseName}-${c}`;
    /** A Secret key: the user's, or generated once in the cluster into `<release>-<secret>` under `key`. */
    const choice = (given: SecretKeyRef | undefined, secret: string, key: string): SecretChoice =>
      (given ? { generated: false, name: given.name, key: given.key } : { generated: true, name: name(secret), key });
    const selector = (component: string) => ({ 'app.kubernetes.io/name': 'airflow', 'app.kubernetes.io/instance': releaseName, 'app.kubernetes.io/component': component });
    const component = (prop: string, o: WorkloadOptions | undefined, comp: string, replicas: number | undefined): ComponentInputs => {
      const settings = workloadSettings(prop, o ?? {}, replicas, selector(comp));
      return { ...settings, affinityInput: { affinity: settings.affinity as Record<string, unknown>, replicas } };
    };

    const embeddedDb = database.isEmbedded ? database.embeddedOptions : undefined;
    const externalDb = database.externalOptions;
    const embeddedBroker = broker?.isEmbedded ? broker.embeddedOptions : undefined;
    const externalBroker = broker?.externalOptions;
    const dbMode = externalDb ? (externalDb.sslMode ?? SslMode.VERIFY_FULL) : undefined;
    if (dbMode === SslMode.DISABLE || dbMode === SslMode.PREFER) {
      this.relaxedDefaults.push(`database.sslMode=${dbMode}: the metadata database connection ${dbMode === SslMode.DISABLE ? 'is not encrypted' : 'may fall back to plain text'}`);
    }
    if (externalBroker?.tls === false) this.relaxedDefaults.push('broker tls=false: the Celery broker connection (and its password) is not encrypted');
    const adminOptions = props.adminUser ?? {};
    const adminEnabled = adminOptions.enabled ?? auth.isDatabase;
    if (adminEnabled) validateAdminUser(adminOptions);
    const w = props.workers ?? {};
    const ingress = props.ingress;
    const tls = ingress?.tls;
    const parts = composeRelease(this, {
      releaseName,
      namespace: props.namespace ?? '',
      executor,
      executors: { celery, local: executor === Executor.LOCAL, kubernetes: executor === Executor.KUBERNETES },
      images: {
        airflow: imageSpecOf(image),
        postgres: imageSpecOf(props.postgres?.image ?? DefaultImages.POSTGRES),
        redis: imageSpecOf(props.redis?.image ?? DefaultImages.REDIS),
      },
      imagePullSecrets: (props.imagePullSecrets ?? []).map((n) => ({ name: n })),
      config: props.config ?? {},
      extraConfig: props.extraConfig ?? {},
      dagsClaim: (props.dags ?? DagsSource.fromImage()).claimName ?? '',
      secrets: {
        fernetKey: choice(props.secrets?.fernetKey, 'fernet-key', 'fernet-key'),
        jwtSecret: choice(props.secrets?.jwtSecret, 'jwt-secret', 'jwt-secret'),
        apiSecretKey: choice(props.secrets?.apiSecretKey, 'api-secret-key', 'api-secret-key'),
      },
      database: {
        embedded: database.isEmbedded,
        host: externalDb?.host ?? name('postgres'),
        port: externalDb?.port ?? POSTGRES_PORT,
        database: externalDb?.database ?? 'airflow',
        user: externalDb?.user ?? 'airflow',
        password: externalDb ? choice(externalDb.password, '', '') : choice(embeddedDb?.password, 'postgres', 'password'),
        // Inside the release, traffic is confined by NetworkPolicy; the embedded server has no certificate.
        sslMode: externalDb ? (externalDb.sslMode ?? SslMode.VERIFY_FULL) : SslMode.DISABLE,
        caCertificate: optionalRef(externalDb?.caCertificate),
        cidrs: externalDb?.cidrs ?? ['0.0.0.0/0'],
        storageSize: `${(embeddedDb?.storageSize ?? POSTGRES_STORAGE_DEFAULT).toMebibytes()}Mi`,
        storageClassName: embeddedDb?.storageClassName ?? '',
        runAs: embeddedDb?.runAs ?? ImageIdentity.POSTGRES,
      },
      broker: {
        embedded: embeddedBroker !== undefined,
        external: externalBroker !== undefined,
        host: externalBroker?.host ?? name('redis'),
        port: externalBroker?.port ?? REDIS_PORT,
        password: externalBroker ? choice(externalBroker.password, '', '') : choice(embeddedBroker?.password, 'redis', 'password'),
        tls: externalBroker ? (externalBroker.tls ?? true) : false,
        caCertificate: optionalRef(externalBroker?.caCertificate),
        databaseIndex: externalBroker?.databaseIndex ?? 0,
        cidrs: externalBroker?.cidrs ?? ['0.0.0.0/0'],
      },
      apiServer: {
        ...component('apiServer', props.apiServer, 'api-server', validateReplicas('apiServer.replicas', props.apiServer?.replicas, 1, 2)),
        workers: validateReplicas('apiServer.workers', props.apiServer?.workers, 1, 1),
      },
      scheduler: component('scheduler', props.scheduler, 'scheduler', validateReplicas('scheduler.replicas', props.scheduler?.replicas, 1, 2)),
      dagProcessor: component('dagProcessor', props.dagProcessor, 'dag-processor', validateReplicas('dagProcessor.replicas', props.dagProcessor?.replicas, 1, 1)),
      triggerer: component('triggerer', props.triggerer, 'triggerer', validateReplicas('triggerer.replicas', props.triggerer?.replicas, 1, 1)),
      workers: {
        ...component('workers', w, 'worker', validateReplicas('workers.replicas', w.replicas, 0, 2)),
        concurrency: validateReplicas('workers.concurrency', w.concurrency, 1, 16),
        terminationGracePeriodSeconds: validateSeconds('workers.terminationGracePeriod', w.terminationGracePeriod, 30, 86400, 600),
        queues: validateQueues(w.queues ?? ['default']),
        logVolumeSizeMi: (w.logVolumeSize ?? Size.gibibytes(5)).toMebibytes(),
      },
      flower: {
        ...component('flower', props.flower, 'flower', validateReplicas('flower.replicas', props.flower?.replicas, 1, 1)),
        enabled: props.flower?.enabled ?? false,
        username: choice(props.flower?.username, 'flower', 'username'),
        password: choice(props.flower?.password, 'flower', 'password'),
      },
      metrics: {
        ...component('metrics', props.metrics, 'statsd', 1),
        enabled: props.metrics?.enabled ?? false,
        image: imageSpecOf(props.metrics?.image ?? DefaultImages.STATSD_EXPORTER),
        extraMappings: validateMappings(props.metrics?.extraMappings ?? []),
        scrapeNamespaceLabels: props.metrics?.scrapeNamespaceLabels ?? METRICS_SCRAPER_NAMESPACE,
        scrapePodLabels: props.metrics?.scrapePodLabels ?? {},
      },
      postgres: component('postgres', props.postgres, 'postgres', 1),
      redis: component('redis', props.redis, 'redis', 1),
      login: auth._loginInputs(),
      adminUser: {
        enabled: adminEnabled,
        username: choice(adminOptions.username, 'admin', 'username'),
        password: choice(adminOptions.password, 'admin', 'password'),
        email: adminOptions.email ?? 'admin@example.com',
        firstName: adminOptions.firstName ?? 'Airflow',
        lastName: adminOptions.lastName ?? 'Admin',
      },
      ingress: {
        enabled: ingress !== undefined,
        host: ingress?.host ?? '',
        className: ingress?.className ?? '',
        annotations: ingress?.annotations ?? {},
        tlsSecretName: tls?.secretName ?? name('tls'),
        certManager: tls?.issuer !== undefined,
        issuer: tls?.issuer ?? '',
        issuerKind: tls?.issuerKind ?? IssuerKind.CLUSTER_ISSUER,
        controllerNamespaceLabels: ingress?.controllerNamespaceLabels ?? { 'kubernetes.io/metadata.name': 'ingress-nginx' },
      },
      network: {
        enabled: network.enabled ?? true,
        taskEgressCidrs: taskEgress,
        dnsNamespaceLabels: network.dnsNamespaceLabels ?? KUBE_DNS_NAMESPACE,
        dnsPodLabels: network.dnsPodLabels ?? KUBE_DNS_PODS,
      },
      writableRootFilesystem: relaxations.writableRootFilesystem ?? false,
      jobs: { ttlSecondsAfterFinished: props.jobs?.ttlSecondsAfterFinished, ttlSet: props.jobs?.ttlSecondsAfterFinished !== undefined },
      managedBy: props.managedBy ?? 'cdk8s',
      cornflow: cornflowInputs(props, auth, releaseName, this.relaxedDefaults),
    });
    this.release = parts.release;
    this.apiServer = parts.apiServer;
    this.scheduler = parts.scheduler;
    this.dagProcessor = parts.dagProcessor;
    this.triggerer = parts.triggerer;
    this.workers = parts.workers;
    this.flower = parts.flower;
    this.statsd = parts.statsd;
    this.postgres = parts.postgres;
    this.redis = parts.redis;
    this.cornflow = parts.cornflow;
  }

  /**
   * Renders this chart to Kubernetes manifests, as `Chart.toJson()` does, but resolves dependencies and validates
   * this chart only instead of the whole app, so an App of N charts synthesizes in time linear in N.
   * @see synthChart
   */
  public toJson(): any[] {
    return synthChart(this);
  }
}

/** Cornflow's inputs from the props (disabled: inert literals), validated against the rest of the release. */
function cornflowInputs(props: AirflowChartProps, auth: AirflowAuth, releaseName: string, relaxed: string[]): CornflowReleaseInputs {
  const cf = props.cornflow;
  if (cf !== undefined && !(cf instanceof Cornflow)) throw new Error('cornflow must be Cornflow.enabled({...})');
  const o = cf?.options ?? {};
  const name = (c: string) => `${releaseName}-${c}`;
  const choice = (given: SecretKeyRef | undefined, key: string, secret = 'cornflow') =>
    (given ? { generated: false, name: given.name, key: given.key } : { generated: true, name: name(secret), key });
  const cfAuth = cf?.auth;
  const ldap = cfAuth?.kind === 'ldap';
  let directory: LdapDirectory | undefined;
  const database = cf?.database;
  const external = database?.externalServer;
  if (!cf && auth.mapsCornflowRole) {
    throw new Error(`auth roleMapping or defaultRole names the role '${CORNFLOW_AIRFLOW_ROLE}', which exists only with cornflow: Cornflow.enabled({...}); `
      + 'remove it or enable Cornflow');
  }
  if (cf) {
    if (auth.kind !== 'database' && auth.kind !== 'ldap') {
      throw new Error(`cornflow needs Airflow's API with password login (AirflowAuth.database() or AirflowAuth.ldap()), got auth '${auth.kind}': `
        + 'Cornflow logs in to Airflow with a user name and password');
    }
    if (!external && !(props.database ?? MetadataDatabase.embedded()).isEmbedded) {
      throw new Error('cornflow.database defaults to a second database on the embedded PostgreSQL, but database is external: '
        + 'pass database: CornflowDatabase.external({...}) to Cornflow.enabled');
    }
    if (ldap) {
      directory = cfAuth!.directory ?? auth.directory;
      if (!directory) throw new Error('CornflowAuth.ldap needs a directory: pass directory, or use AirflowAuth.ldap for Airflow (one directory for both)');
      validateCornflowDirectory(cfAuth!.directory ? 'CornflowAuth.ldap directory' : 'auth directory (used by CornflowAuth.ldap)', directory);
      if (!o.serviceUser?.username || !o.serviceUser.password) {
        throw new Error('cornflow.serviceUser.username and .password are required with CornflowAuth.ldap: the service user is a directory '
          + 'account (in the service role\'s group) that Airflow\'s tasks log in to Cornflow with');
      }
      if (directory.transport !== 'ldaps') relaxed.push(`cornflow LDAP: passwords cross the network to ${directory.host} unencrypted`);
    }
    if (auth.kind === 'ldap') {
      if (!o.airflowUser?.username || !o.airflowUser.password) {
        throw new Error('cornflow.airflowUser.username and .password are required with AirflowAuth.ldap: Airflow then checks passwords '
          + `against the directory, so Cornflow's Airflow account is a directory account (map its group to the '${CORNFLOW_AIRFLOW_ROLE}' role in roleMapping)`);
      }
    } else if (o.airflowUser?.username) {
      throw new Error(`cornflow.airflowUser.username is for AirflowAuth.ldap; with database login the release creates the Airflow user '${CORNFLOW_AIRFLOW_USER}'`);
    }
    if (external?.sslMode === SslMode.DISABLE) relaxed.push('cornflow.database sslMode disable: Cornflow\'s database traffic is unencrypted');
  }
  const d = directory;
  const groups = cfAuth?.roleGroups ?? {};
  const ingress = o.ingress;
  const tls = ingress?.tls;
  const replicas = cf ? validateReplicas('cornflow.replicas', o.replicas, 1, 2) : 1;
  const component = workloadSettings('cornflow', o, replicas,
    { 'app.kubernetes.io/name': 'airflow', 'app.kubernetes.io/instance': releaseName, 'app.kubernetes.io/component': 'cornflow' });
  const adminName = o.adminUser?.username ?? 'cornflow_admin';
  const serviceName = o.serviceUser?.username ?? 'service_user';
  return {
    enabled: cf !== undefined,
    identity: ImageIdentity.CORNFLOW,
    settings: {
      ...component,
      affinityInput: { affinity: component.affinity as Record<string, unknown>, replicas },
      image: imageSpecOf(o.image ?? DefaultImages.CORNFLOW),
      workers: o.workers ?? 2,
      ldap,
      ldapEnv: d ? cornflowLdapEnv({
        url: d.url, bindDn: d.bindDn ?? '', userBase: d.userBase, usernameAttribute: d.usernameAttribute, userObjectClass: d.userObjectClass,
        emailAttribute: d.emailAttribute, groupBase: d.groupBase ?? '', groupObjectClass: d.groupObjectClass,
        groups: { admin: groups.admin ?? '', planner: groups.planner ?? '', viewer: groups.viewer ?? '', service: groups.service ?? '' },
      }) : [],
      ldapBindPassword: { name: d?.bindPassword?.name ?? '', key: d?.bindPassword?.key ?? '' },
      database: {
        embedded: !external,
        host: external?.host ?? name('postgres'),
        port: external?.port ?? 5432,
        database: external?.database ?? 'cornflow',
        user: external?.user ?? 'cornflow',
        password: external ? { name: external.password.name, key: external.password.key } : choice(database?.embeddedPassword, 'password', 'cornflow-db'),
        sslMode: external ? (external.sslMode ?? SslMode.VERIFY_FULL) : SslMode.DISABLE,
        caCertificate: optionalRef(external?.caCertificate),
      },
      adminUser: { username: adminName, email: o.adminUser?.email ?? `${adminName}@cornflow.local`, password: choice(o.adminUser?.password, 'admin-password') },
      serviceUser: { username: serviceName, email: o.serviceUser?.email ?? `${serviceName}@cornflow.local`, password: choice(o.serviceUser?.password, 'service-password') },
      airflowUser: { username: o.airflowUser?.username ?? CORNFLOW_AIRFLOW_USER, password: choice(o.airflowUser?.password, 'airflow-password') },
      secretKey: choice(o.secretKey, 'secret-key'),
      biSecretKey: choice(o.biSecretKey, 'secret-bi-key'),
      corsOrigin: ingress ? `https://${ingress.host}` : '',
    },
    secretKey: choice(o.secretKey, 'secret-key'),
    biSecretKey: choice(o.biSecretKey, 'secret-bi-key'),
    adminPassword: choice(o.adminUser?.password, 'admin-password'),
    servicePassword: choice(o.serviceUser?.password, 'service-password'),
    airflowPassword: choice(o.airflowUser?.password, 'airflow-password'),
    databasePassword: choice(database?.embeddedPassword, 'password', 'cornflow-db'),
    databaseCidrs: external?.cidrs ?? ['0.0.0.0/0'],
    ldapPort: d?.port ?? 636,
    ldapCidrs: d?.cidrs ?? ['0.0.0.0/0'],
    ingress: {
      enabled: ingress !== undefined,
      host: ingress?.host ?? '',
      className: ingress?.className ?? '',
      annotations: ingress?.annotations ?? {},
      tlsSecretName: tls?.secretName ?? name('cornflow-tls'),
      certManager: tls?.issuer !== undefined,
      issuer: tls?.issuer ?? '',
      issuerKind: tls?.issuerKind ?? IssuerKind.CLUSTER_ISSUER,
    },
  };
}

/** A Secret key that may be absent. */
function optionalRef(ref: SecretKeyRef | undefined) {
  return ref ? { present: true, name: ref.name, key: ref.key } : { present: false, name: '', key: '' };
}

function validateQueues(queues: string[]): string[] {
  if (queues.length === 0 || queues.some((q) => !/^[A-Za-z0-9_.-]+$/.test(q))) {
    throw new Error(`workers.queues must be a non-empty list of queue names ([A-Za-z0-9_.-]), got ${JSON.stringify(queues)}`);
  }
  return queues;
}

function validateAdminUser(a: AdminUserOptions): void {
  const email = a.email ?? 'admin@example.com';
  if (!/^[^\s@'"]+@[^\s@'"]+$/.test(email)) throw new Error(`adminUser.email must be an e-mail address, got '${email}'`);
  for (const [prop, v] of [['adminUser.firstName', a.firstName ?? 'Airflow'], ['adminUser.lastName', a.lastName ?? 'Admin']]) {
    if (!/^[\p{L}\p{N} ._-]{1,64}$/u.test(v)) throw new Error(`${prop} must be 1-64 letters, digits, spaces, '.', '_' or '-', got '${v}'`);
  }
}

/** Checks statsd_exporter mapping rules: each needs a `match` and a Prometheus metric `name`. */
function validateMappings(mappings: { [key: string]: any }[]): { [key: string]: any }[] {
  mappings.forEach((m, i) => {
    if (typeof m?.match !== 'string' || !m.match) {
      throw new Error(`metrics.extraMappings[${i}].match must be a non-empty statsd name pattern, got ${JSON.stringify(m?.match)}; e.g. 'airflow.my_metric.*'`);
    }
    if (typeof m.name !== 'string' || !/^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(m.name)) {
      throw new Error(`metrics.extraMappings[${i}].name must be a Prometheus metric name ([a-zA-Z_:][a-zA-Z0-9_:]*), got ${JSON.stringify(m.name)}`);
    }
  });
  return mappings;
}
