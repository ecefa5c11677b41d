/**
 * Composition of a release: every component, Secret, Job and connection, from inputs that are literals (TypeScript,
 * built by AirflowChart from its props) or references into the values model (the Helm chart, built by
 * src/values/inputs.ts). The same code gives both, so the chart is right in every combination the constructs are.
 */
import { Construct } from 'constructs';
import { ApiServer } from './components/api-server';
import { CeleryWorkers } from './components/celery-worker';
import { DagProcessor } from './components/dag-processor';
import { Flower } from './components/flower';
import { STATSD_INGEST_PORT, STATSD_METRICS_PORT, STATSD_PREFIX, StatsdExporter } from './components/statsd-exporter';
import { CornflowAirflowRole, CornflowAirflowUser, CornflowDatabaseSetup, CornflowInit, CornflowInputs, CornflowServer, cornflowTaskEnv } from './components/cornflow';
import { CreateAdminUser, DatabaseMigrations, GeneratedSecretSpec, JobSettings, SecretsGenerator, SyncRoles } from './components/jobs';
import { Postgres } from './components/postgres';
import { Redis } from './components/redis';
import { AirflowRelease, ExecutorConditions, ImageSpec, OptionalSecretRef, SecretRef } from './components/release';
import { Scheduler } from './components/scheduler';
import { Triggerer } from './components/triggerer';
import { Workload, WorkloadSettings } from './components/workload';
import { airflowBaseEnv, airflowWritablePaths } from './components/airflow-process';
import { imagePullPolicy } from './components/image-spec';
import { AIRFLOW_HOME } from './config/dags';
import { Executor } from './config/executor';
import { GeneratedValue } from './config/secrets';
import { Val } from './expr/core';
import { and, condition, eq, isSet, not, or, str } from './expr/ops';
import { items, kubeObject, mapWith, optionalMap, scoped, spread, when, yamlText } from './expr/tree';
import { Connections, defaultDenyPolicy, ExternalPeer, INetworkEndpoint, KUBE_API_PORTS, NetworkPolicySettings, NetworkPort } from './security/network';
import { ImageIdentity, ProcessIdentity, securePodSpec } from './security/pod-security';
import { serviceAccount } from './security/rbac';
import { API_SERVER_PORT } from './components/api-server';
import { LoginInputs } from './config/auth';
import { renderConfig, ChartConfig, UserConfig } from './config/airflow-config';

/** A Secret key the release generates unless the user names their own Secret. */
export interface SecretChoice extends SecretRef {
  /** The release generates it (no existing Secret was named). */
  readonly generated: Val<boolean>;
}

/** Scheduling settings of a component and what its affinity helper reads. */
export interface ComponentInputs extends WorkloadSettings {
  /** The component's values (chart) or its affinity and replicas (TypeScript). */
  readonly affinityInput: Val<{ affinity: Record<string, unknown>; replicas: number | undefined }>;
}

/** Everything a release is composed from. */
export interface ReleaseInputs {
  readonly releaseName: Val<string>;
  readonly namespace: Val<string>;
  readonly executor: Val<Executor>;
  readonly executors: ExecutorConditions;
  readonly images: { readonly airflow: ImageSpec; readonly postgres: ImageSpec; readonly redis: ImageSpec };
  readonly imagePullSecrets: Val<{ name: string }[]>;
  /** The user's Airflow settings. */
  readonly config: Val<UserConfig>;
  /** Settings Airflow's reference does not describe (plugins'), merged after config. */
  readonly extraConfig: Val<UserConfig>;
  readonly dagsClaim: Val<string>;
  readonly secrets: { readonly fernetKey: SecretChoice; readonly jwtSecret: SecretChoice; readonly apiSecretKey: SecretChoice };
  readonly database: {
    readonly embedded: Val<boolean>;
    readonly host: Val<string>;
    readonly port: Val<number>;
    readonly database: Val<string>;
    readonly user: Val<string>;
    readonly password: SecretChoice;
    readonly sslMode: Val<string>;
    readonly caCertificate: OptionalSecretRef;
    readonly cidrs: Val<string[]>;
    readonly storageSize: Val<string>;
    readonly storageClassName: Val<string>;
    /** The user and group of the embedded PostgreSQL. */
    readonly runAs: ProcessIdentity;
  };
  readonly broker: {
    /** Celery with the embedded Redis. */
    readonly embedded: Val<boolean>;
    /** Celery with an external Redis. */
    readonly external: Val<boolean>;
    readonly host: Val<string>;
    readonly port: Val<number>;
    readonly password: SecretChoice;
    readonly tls: Val<boolean>;
    readonly caCertificate: OptionalSecretRef;
    readonly databaseIndex: Val<number>;
    readonly cidrs: Val<string[]>;
  };
  readonly apiServer: ComponentInputs & { readonly workers: Val<number> };
  readonly scheduler: ComponentInputs;
  readonly dagProcessor: ComponentInputs;
  readonly triggerer: ComponentInputs;
  readonly workers: ComponentInputs & {
    readonly concurrency: Val<number>;
    readonly terminationGracePeriodSeconds: Val<number>;
    readonly queues: Val<string[]>;
    readonly logVolumeSizeMi: Val<number>;
  };
  readonly flower: ComponentInputs & { readonly enabled: Val<boolean>; readonly username: SecretChoice; readonly password: SecretChoice };
  readonly metrics: MetricsInputs;
  readonly postgres: ComponentInputs;
  readonly redis: ComponentInputs;
  readonly login: LoginInputs;
  readonly adminUser: {
    readonly enabled: Val<boolean>;
    readonly username: SecretChoice;
    readonly password: SecretChoice;
    readonly email: Val<string>;
    readonly firstName: Val<string>;
    readonly lastName: Val<string>;
  };
  readonly ingress: IngressInputs & { readonly controllerNamespaceLabels: Val<Record<string, string>> };
  readonly network: {
    readonly enabled: Val<boolean>;
    readonly taskEgressCidrs: Val<string[]>;
    readonly dnsNamespaceLabels: Val<Record<string, string>>;
    readonly dnsPodLabels: Val<Record<string, string>>;
  };
  readonly writableRootFilesystem: Val<boolean>;
  readonly jobs: JobSettings;
  readonly managedBy: Val<string>;
  readonly chartLabel?: Val<string>;
  readonly cornflow: CornflowReleaseInputs;
}

/** The statsd_exporter: whether it runs, its image and mappings, and who may scrape it. */
export interface MetricsInputs extends ComponentInputs {
  readonly enabled: Val<boolean>;
  readonly image: ImageSpec;
  readonly extraMappings: Val<unknown[]>;
  /** The scrapers (NetworkPolicy ingress to the metrics port). */
  readonly scrapeNamespaceLabels: Val<Record<string, string>>;
  readonly scrapePodLabels: Val<Record<string, string>>;
}

/** Cornflow in a release: its settings, the Secrets it may generate, its network peers and its Ingress. */
export interface CornflowReleaseInputs {
  readonly enabled: Val<boolean>;
  readonly settings: CornflowInputs;
  readonly identity: ProcessIdentity;
  /** `<release>-cornflow`: token keys and the passwords of the users the release creates. */
  readonly secretKey: SecretChoice;
  readonly biSecretKey: SecretChoice;
  readonly adminPassword: SecretChoice;
  readonly servicePassword: SecretChoice;
  readonly airflowPassword: SecretChoice;
  /** `<release>-cornflow-db`: the password of its user on the embedded PostgreSQL. */
  readonly databasePassword: SecretChoice;
  /** The external database's addresses (NetworkPolicy egress). */
  readonly databaseCidrs: Val<string[]>;
  /** The LDAP directory's port and addresses (NetworkPolicy egress, with LDAP login). */
  readonly ldapPort: Val<number>;
  readonly ldapCidrs: Val<string[]>;
  readonly ingress: IngressInputs;
}

/** A TLS-only Ingress: the api-server's or Cornflow's. */
export interface IngressInputs {
  readonly enabled: Val<boolean>;
  readonly host: Val<string>;
  readonly className: Val<string>;
  readonly annotations: Val<Record<string, string>>;
  /** The TLS Secret: the user's, or one issued by cert-manager. */
  readonly tlsSecretName: Val<string>;
  /** cert-manager issues the certificate (no Secret of the user's was named). */
  readonly certManager: Val<boolean>;
  readonly issuer: Val<string>;
  readonly issuerKind: Val<string>;
}

/** What {@link composeRelease} built. */
export interface ReleaseParts {
  readonly release: AirflowRelease;
  readonly apiServer: ApiServer;
  readonly scheduler: Scheduler;
  readonly dagProcessor: DagProcessor;
  readonly triggerer: Triggerer;
  readonly workers?: CeleryWorkers;
  readonly flower?: Flower;
  readonly statsd?: StatsdExporter;
  readonly postgres?: Postgres;
  readonly redis?: Redis;
  readonly cornflow?: CornflowServer;
}

/** Composes the release in `scope`. */
export function composeRelease(scope: Construct, inp: ReleaseInputs): ReleaseParts {
  const name = (c: string) => str`${inp.releaseName}-${c}`;
  const { celery, local, kubernetes } = inp.executors;
  const db = inp.database;
  const b = inp.broker;
  const login = inp.login;
  const cf = inp.cornflow;
  const metricsOn = condition('airflow.metrics', 'The statsd_exporter runs and Airflow sends it metrics (metrics.enabled).', inp.metrics.enabled);
  const cornflowOn = condition('airflow.cornflow', 'Cornflow runs next to Airflow (cornflow.enabled).', cf.enabled);

  // Airflow's configuration: the chart's settings, with the user's merged over them.
  const chartConfig: ChartConfig = {
    core: {
      executor: inp.executor,
      auth_manager: 'airflow.providers.fab.auth_manager.fab_auth_manager.FabAuthManager',
      execution_api_server_url: str`http://${name('api-server')}:${API_SERVER_PORT}/execution/`,
      // Log servers are reached by IP: Deployment pod names do not resolve in cluster DNS.
      hostname_callable: 'airflow.utils.net.get_host_ip_address',
      load_examples: false,
    },
    api: { port: API_SERVER_PORT, base_url: when(inp.ingress.enabled, str`https://${inp.ingress.host}`) },
    scheduler: { enable_health_check: true, scheduler_health_check_server_port: 8974 },
    logging: { worker_log_server_port: 8793, trigger_log_server_port: 8794 },
    metrics: when(metricsOn, {
      statsd_on: true,
      statsd_host: name('statsd'),
      statsd_port: STATSD_INGEST_PORT,
      statsd_prefix: STATSD_PREFIX,
    }),
    kubernetes_executor: when(kubernetes, {
      namespace: inp.namespace,
      pod_template_file: `${AIRFLOW_HOME}/pod_templates/pod_template.yaml`,
      delete_worker_pods: true,
    }),
  };
  const network: NetworkPolicySettings = {
    enabled: inp.network.enabled,
    dns: ExternalPeer._namespaces(inp.network.dnsNamespaceLabels, inp.network.dnsPodLabels, 'cluster DNS'),
  };
  const release = new AirflowRelease({
    name: inp.releaseName,
    namespace: inp.namespace,
    image: inp.images.airflow,
    imagePullSecrets: inp.imagePullSecrets,
    executor: inp.executor,
    executors: inp.executors,
    configText: renderConfig(chartConfig, inp.config, inp.extraConfig),
    database: { host: db.host, port: db.port, database: db.database, user: db.user, password: db.password, sslMode: db.sslMode, caCertificate: db.caCertificate },
    broker: { host: b.host, port: b.port, tls: b.tls, caCertificate: b.caCertificate, databaseIndex: b.databaseIndex, password: b.password },
    secrets: inp.secrets,
    dagsClaim: inp.dagsClaim,
    network,
    writableRootFilesystem: inp.writableRootFilesystem,
    managedBy: inp.managedBy,
    chartLabel: inp.chartLabel,
    taskEnv: [when(cornflowOn, spread(cornflowTaskEnv(inp.releaseName, cf.settings.serviceUser)))],
  });
  const r = release;

  // Shared configuration: airflow.cfg, the FAB webserver_config.py and (KubernetesExecutor) the task pod template.
  kubeObject(scope, 'Config', {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: r.configMapName, labels: r.labels('config') },
    data: {
      'airflow.cfg': r.configText,
      'webserver_config.py': login.webserverConfig,
      'pod_template.yaml': when(kubernetes, taskPodTemplate(r)),
    },
  });
  const fabMount = { name: 'config', mountPath: `${AIRFLOW_HOME}/webserver_config.py`, subPath: 'webserver_config.py', readOnly: true };

  // Components.
  const apiServer = ApiServer._create(scope, 'ApiServer', {
    release: r,
    settings: inp.apiServer,
    affinityInput: inp.apiServer.affinityInput,
    workers: inp.apiServer.workers,
    login: {
      volumes: items(...login.secretFiles.map((f) => when(f.when, { name: f.volume, secret: { secretName: f.ref.name, items: [{ key: f.ref.key, path: f.ref.key }] } }))),
      mounts: items(fabMount, ...login.secretFiles.map((f) => when(f.when, { name: f.volume, mountPath: `${AIRFLOW_HOME}/secrets/${f.volume}`, readOnly: true }))),
      env: login.env,
      checksum: login.checksum,
    },
  });
  const scheduler = Scheduler._create(scope, 'Scheduler', {
    release: r,
    settings: inp.scheduler,
    affinityInput: inp.scheduler.affinityInput,
    podTemplate: {
      volumes: [],
      mounts: [{ name: 'config', mountPath: `${AIRFLOW_HOME}/pod_templates/pod_template.yaml`, subPath: 'pod_template.yaml', readOnly: true }],
    },
  });
  const dagProcessor = DagProcessor._create(scope, 'DagProcessor', { release: r, settings: inp.dagProcessor, affinityInput: inp.dagProcessor.affinityInput });
  const triggerer = Triggerer._create(scope, 'Triggerer', { release: r, settings: inp.triggerer, affinityInput: inp.triggerer.affinityInput });
  const workers = scoped(celery, () => CeleryWorkers._create(scope, 'Workers', {
    release: r,
    settings: inp.workers,
    affinityInput: inp.workers.affinityInput,
    concurrency: inp.workers.concurrency,
    terminationGracePeriodSeconds: inp.workers.terminationGracePeriodSeconds,
    queues: inp.workers.queues,
    logVolumeSizeMi: inp.workers.logVolumeSizeMi,
  }));
  const flowerOn = condition('airflow.flower', 'Flower runs (CeleryExecutor and flower.enabled).', and(celery, inp.flower.enabled));
  const flower = scoped(flowerOn, () => Flower._create(scope, 'Flower', {
    release: r,
    settings: inp.flower,
    affinityInput: inp.flower.affinityInput,
    username: inp.flower.username,
    password: inp.flower.password,
  }));
  const statsd = scoped(metricsOn, () => StatsdExporter._create(scope, 'Statsd', {
    release: r,
    settings: inp.metrics,
    affinityInput: inp.metrics.affinityInput,
    image: inp.metrics.image,
    extraMappings: inp.metrics.extraMappings,
  }));
  const postgres = scoped(db.embedded, () => Postgres._create(scope, 'Postgres', {
    release: r,
    settings: inp.postgres,
    affinityInput: inp.postgres.affinityInput,
    image: inp.images.postgres,
    password: db.password,
    storageSize: db.storageSize,
    storageClassName: db.storageClassName,
    runAs: db.runAs,
  }));
  const redis = scoped(b.embedded, () => Redis._create(scope, 'Redis', {
    release: r,
    settings: inp.redis,
    affinityInput: inp.redis.affinityInput,
    image: inp.images.redis,
    password: b.password,
  }));

  const migrations = new DatabaseMigrations(scope, 'Migrations', { release: r, settings: inp.jobs });
  const admin = inp.adminUser;
  const createUser = scoped(admin.enabled, () => new CreateAdminUser(scope, 'AdminUser', {
    release: r,
    settings: inp.jobs,
    username: admin.username,
    password: admin.password,
    email: admin.email,
    firstName: admin.firstName,
    lastName: admin.lastName,
    // The CLI creates a database user whatever the login; only database login needs its settings.
    authVolumes: { volumes: [], mounts: items(when(login.database, fabMount)) },
  }));
  const syncRoles = scoped(isSet(login.roles), () => new SyncRoles(scope, 'SyncRoles', { release: r, settings: inp.jobs, roles: login.roles }));

  // Cornflow: the server, its init and database Jobs, and its role and user in Airflow.
  const cfEmbeddedDb = condition('airflow.cornflowEmbeddedDatabase', 'Cornflow\'s database is a second database on the embedded PostgreSQL.',
    and(cornflowOn, cf.settings.database.embedded));
  const cfAirflowUser = condition('airflow.cornflowAirflowUser', 'The release creates Cornflow\'s Airflow user (database login; with LDAP it is a directory account).',
    and(cornflowOn, login.database));
  const cornflow = scoped(cornflowOn, () => CornflowServer._create(scope, 'Cornflow', { release: r, cornflow: cf.settings, identity: cf.identity }));
  const cornflowInit = scoped(cornflowOn, () => new CornflowInit(scope, 'CornflowInit', { release: r, settings: inp.jobs, cornflow: cf.settings, identity: cf.identity }));
  const cornflowDb = scoped(cfEmbeddedDb, () => new CornflowDatabaseSetup(scope, 'CornflowDatabase', {
    release: r, settings: inp.jobs, cornflow: cf.settings, image: inp.images.postgres, identity: db.runAs,
  }));
  const cornflowRole = scoped(cornflowOn, () => new CornflowAirflowRole(scope, 'CornflowAirflowRole', { release: r, settings: inp.jobs }));
  const cornflowUser = scoped(cfAirflowUser, () => new CornflowAirflowUser(scope, 'CornflowAirflowUser', {
    release: r, settings: inp.jobs, password: cf.airflowPassword, authVolumes: { volumes: [], mounts: [fabMount] },
  }));

  // Secrets the release generates, key by key: each only where the user named no Secret of their own.
  type Key = Omit<GeneratedSecretSpec['keys'][number], 'when'> & { generated: Val<boolean> };
  const secret = (secretName: Val<string>, used: Val<boolean>, keys: Key[], named?: { name: string; doc: string }): GeneratedSecretSpec => {
    const any = and(used, or(...keys.map((k) => k.generated)));
    const when = named ? condition(named.name, named.doc, any) : any;
    return {
      name: secretName,
      when,
      keys: keys.map(({ generated, ...k }) => ({ ...k, when: keys.length === 1 ? when : and(used, generated) })),
    };
  };
  const generated: GeneratedSecretSpec[] = [
    secret(inp.secrets.fernetKey.name, true, [{ key: 'fernet-key', value: GeneratedValue.FERNET_KEY, generated: inp.secrets.fernetKey.generated }]),
    secret(inp.secrets.jwtSecret.name, true, [{ key: 'jwt-secret', value: GeneratedValue.RANDOM_HEX, generated: inp.secrets.jwtSecret.generated }]),
    secret(inp.secrets.apiSecretKey.name, true, [{ key: 'api-secret-key', value: GeneratedValue.RANDOM_HEX, generated: inp.secrets.apiSecretKey.generated }]),
    secret(db.password.name, db.embedded, [{ key: 'password', value: GeneratedValue.RANDOM_HEX, generated: db.password.generated }],
      { name: 'airflow.postgresSecretGenerated', doc: 'The release generates the embedded PostgreSQL\'s password.' }),
    secret(b.password.name, b.embedded, [{ key: 'password', value: GeneratedValue.RANDOM_HEX, generated: b.password.generated }],
      { name: 'airflow.redisSecretGenerated', doc: 'The release generates the embedded Redis\'s password.' }),
    secret(name('flower'), flowerOn, [
      { key: 'username', value: GeneratedValue.LITERAL, literal: 'admin', generated: inp.flower.username.generated },
      { key: 'password', value: GeneratedValue.RANDOM_HEX, generated: inp.flower.password.generated },
    ], { name: 'airflow.flowerSecretGenerated', doc: 'The release generates Flower\'s credentials (or one of them).' }),
    secret(name('admin'), admin.enabled, [
      { key: 'username', value: GeneratedValue.LITERAL, literal: 'admin', generated: admin.username.generated },
      { key: 'password', value: GeneratedValue.RANDOM_HEX, generated: admin.password.generated },
    ], { name: 'airflow.adminSecretGenerated', doc: 'The release generates the admin user\'s credentials (or one of them).' }),
    secret(name('cornflow'), cornflowOn, [
      { key: 'secret-key', value: GeneratedValue.RANDOM_HEX, generated: cf.secretKey.generated },
      { key: 'secret-bi-key', value: GeneratedValue.RANDOM_HEX, generated: cf.biSecretKey.generated },
      { key: 'admin-password', value: GeneratedValue.PASSWORD, generated: condition('airflow.cornflowAdminGenerated',
        'The release generates the Cornflow admin\'s password (database login, no Secret named).', and(not(cf.settings.ldap), cf.adminPassword.generated)) },
      { key: 'service-password', value: GeneratedValue.PASSWORD, generated: condition('airflow.cornflowServiceGenerated',
        'The release generates the Cornflow service user\'s password (database login, no Secret named).', and(not(cf.settings.ldap), cf.servicePassword.generated)) },
      { key: 'airflow-password', value: GeneratedValue.PASSWORD, generated: condition('airflow.cornflowAirflowGenerated',
        'The release generates the password of Cornflow\'s Airflow user (database login, no Secret named).', and(login.database, cf.airflowPassword.generated)) },
    ], { name: 'airflow.cornflowSecretGenerated', doc: 'The release generates Cornflow\'s keys or passwords (some of them).' }),
    secret(name('cornflow-db'), cfEmbeddedDb, [{ key: 'password', value: GeneratedValue.RANDOM_HEX, generated: cf.databasePassword.generated }],
      { name: 'airflow.cornflowDatabaseSecretGenerated', doc: 'The release generates the password of Cornflow\'s database user.' }),
  ].filter((s) => s.when !== false).map((s) => ({ ...s, keys: s.keys.filter((k) => k.when !== false) }));
  const anyGenerated = condition('airflow.secretsJob', 'The release generates at least one Secret (the secrets Job runs).', or(...generated.map((s) => s.when)));
  scoped(anyGenerated, () => new SecretsGenerator(scope, 'SecretsGenerator', { release: r, settings: inp.jobs, secrets: generated }));

  // Network: default deny, then one allow per real Airflow 3 connection.
  defaultDenyPolicy(scope, 'DefaultDeny', name('default-deny'), r.labels('network-policy'), r.instanceLabels(), network);
  const api = apiServer.workload;
  scoped(inp.ingress.enabled, () => api.connections.allowFrom(
    ExternalPeer._namespaces(inp.ingress.controllerNamespaceLabels, undefined, 'the ingress controller')));
  // LDAP binds and searches, OIDC discovery, token and key requests: from the api-server only.
  for (const e of login.egress) scoped(e.when, () => api.connections.allowTo(ExternalPeer._cidrs(e.cidrs, e.description), NetworkPort._tcp(e.port)));
  const dbClients: INetworkEndpoint[] = [api, scheduler.workload, dagProcessor.workload, triggerer.workload, migrations];
  const externalDb = ExternalPeer._cidrs(db.cidrs, 'the external database');
  const reachDatabase = (c: INetworkEndpoint) => {
    if (postgres) scoped(db.embedded, () => c.connections.allowTo(postgres.workload));
    scoped(not(db.embedded), () => c.connections.allowTo(externalDb, NetworkPort._tcp(db.port)));
  };
  dbClients.forEach(reachDatabase);
  if (createUser) scoped(admin.enabled, () => reachDatabase(createUser));
  if (syncRoles) scoped(isSet(login.roles), () => reachDatabase(syncRoles));
  const externalRedis = ExternalPeer._cidrs(b.cidrs, 'the external Redis');
  const reachBroker = (c: Workload) => {
    if (redis) scoped(b.embedded, () => c.connections.allowTo(redis.workload));
    scoped(b.external, () => c.connections.allowTo(externalRedis, NetworkPort._tcp(b.port)));
  };
  scoped(celery, () => reachBroker(scheduler.workload));
  if (workers) scoped(celery, () => reachBroker(workers.workload));
  if (flower) scoped(flowerOn, () => reachBroker(flower.workload));
  const taskRunners: { connections: Connections; when: Val<boolean> }[] = [{ connections: triggerer.workload.connections, when: true }];
  if (workers) {
    scoped(celery, () => {
      workers.workload.connections.allowTo(api); // execution API
      api.connections.allowTo(workers.workload); // task logs, 8793
    });
    taskRunners.push({ connections: workers.workload.connections, when: celery });
  }
  api.connections.allowTo(triggerer.workload); // trigger logs, 8794
  scoped(local, () => {
    scheduler.workload.connections.allowTo(api); // tasks call the execution API
    api.connections.allowTo(scheduler.workload); // task logs, 8793
  });
  taskRunners.push({ connections: scheduler.workload.connections, when: local });
  scoped(kubernetes, () => {
    for (const port of KUBE_API_PORTS) scheduler.workload.connections.allowTo(ExternalPeer.cidrs(['0.0.0.0/0'], 'the Kubernetes API'), port);
    serviceAccount(scope, name('task'), r.labels('task'));
    const tasks = Connections._create(scope, 'TaskPodsNetworkPolicy', {
      name: name('task'), labels: r.labels('task'), podLabels: r.selectorLabels('task'), settings: network,
    });
    tasks.allowTo(api);
    taskRunners.push({ connections: tasks, when: kubernetes });
  });
  const taskEgress = ExternalPeer._cidrs(inp.network.taskEgressCidrs, 'task egress');
  for (const t of taskRunners) scoped(and(t.when, isSet(inp.network.taskEgressCidrs)), () => t.connections.allowToAnyPort(taskEgress));

  // Metrics: every Airflow component sends StatsD over UDP; only the allowed scrapers reach the metrics port.
  if (statsd) {
    scoped(metricsOn, () => {
      const emitters: { connections: Connections; when: Val<boolean> }[] = [
        { connections: api.connections, when: true },
        { connections: scheduler.workload.connections, when: true },
        { connections: dagProcessor.workload.connections, when: true },
        { connections: triggerer.workload.connections, when: true },
        ...taskRunners.filter((t) => t.connections !== triggerer.workload.connections && t.connections !== scheduler.workload.connections),
      ];
      for (const e of emitters) scoped(e.when, () => e.connections.allowTo(statsd.workload));
      statsd.workload.connections.allowFrom(ExternalPeer._namespaces(inp.metrics.scrapeNamespaceLabels, inp.metrics.scrapePodLabels, 'the metrics scrapers'),
        NetworkPort._tcp(STATSD_METRICS_PORT));
    });
  }

  if (cornflow && cornflowInit) {
    scoped(cornflowOn, () => {
      const cfDb = cf.settings.database;
      const externalCfDb = ExternalPeer._cidrs(cf.databaseCidrs, 'Cornflow\'s external database');
      for (const c of [cornflow.workload, cornflowInit]) {
        c.connections.allowTo(api); // Airflow's REST API
        if (postgres) scoped(cfEmbeddedDb, () => c.connections.allowTo(postgres.workload));
        scoped(not(cfDb.embedded), () => c.connections.allowTo(externalCfDb, NetworkPort._tcp(cfDb.port)));
      }
      scoped(cf.settings.ldap, () => cornflow.workload.connections.allowTo(ExternalPeer._cidrs(cf.ldapCidrs, 'the LDAP directory'), NetworkPort._tcp(cf.ldapPort)));
      // Tasks call Cornflow back (cf_uri); the triggerer runs no task code that needs it.
      for (const t of taskRunners) {
        if (t.connections !== triggerer.workload.connections) scoped(t.when, () => t.connections.allowTo(cornflow.workload));
      }
      scoped(cf.ingress.enabled, () => cornflow.workload.connections.allowFrom(
        ExternalPeer._namespaces(inp.ingress.controllerNamespaceLabels, undefined, 'the ingress controller')));
    });
  }
  if (cornflowDb && postgres) scoped(cfEmbeddedDb, () => cornflowDb.connections.allowTo(postgres.workload));
  if (cornflowRole) scoped(cornflowOn, () => reachDatabase(cornflowRole));
  if (cornflowUser) scoped(cfAirflowUser, () => reachDatabase(cornflowUser));

  scoped(inp.ingress.enabled, () => createIngress(scope, inp, r, apiServer));
  if (cornflow) scoped(and(cornflowOn, cf.ingress.enabled), () => createCornflowIngress(scope, inp, r, cornflow));
  return { release, apiServer, scheduler, dagProcessor, triggerer, workers, flower, statsd, postgres, redis, cornflow };
}

function createIngress(scope: Construct, inp: ReleaseInputs, r: AirflowRelease, apiServer: ApiServer): void {
  const ing = inp.ingress;
  const certManager = condition('airflow.certManager', 'cert-manager issues the Ingress\'s TLS certificate (no Secret of the user\'s is named).',
    and(ing.certManager, isSet(ing.issuer)));
  tlsIngress(scope, 'Ingress', r.resourceName('api-server'), r.labels('api-server'), ing, certManager, apiServer.serviceName);
}

function createCornflowIngress(scope: Construct, inp: ReleaseInputs, r: AirflowRelease, cornflow: CornflowServer): void {
  const ing = inp.cornflow.ingress;
  const certManager = condition('airflow.cornflowCertManager', 'cert-manager issues Cornflow\'s TLS certificate (no Secret of the user\'s is named).',
    and(ing.certManager, isSet(ing.issuer)));
  tlsIngress(scope, 'CornflowIngress', r.resourceName('cornflow'), r.labels('cornflow', inp.cornflow.settings.image), ing, certManager, cornflow.workload.name);
}

/** A TLS-only Ingress sending every path of the host to the `http` port of a Service. */
function tlsIngress(scope: Construct, id: string, name: Val<string>, labels: unknown, ing: IngressInputs, certManager: Val<boolean>, serviceName: Val<string>): void {
  kubeObject(scope, id, {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: { name, labels, annotations: ingressAnnotations(ing, certManager) },
    spec: {
      ingressClassName: when(isSet(ing.className), ing.className),
      tls: [{ hosts: [ing.host], secretName: ing.tlsSecretName }],
      rules: [{
        host: ing.host,
        http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: serviceName, port: { name: 'http' } } } }] },
      }],
    },
  });
}

/** The Ingress annotations: the user's, then the chart's (cert-manager's issuer, nginx's HTTPS redirect). */
function ingressAnnotations(ing: IngressInputs, certManager: Val<boolean>): unknown {
  const own = {
    'cert-manager.io/issuer': when(and(certManager, isIssuer(ing.issuerKind)), ing.issuer),
    'cert-manager.io/cluster-issuer': when(and(certManager, not(isIssuer(ing.issuerKind))), ing.issuer),
    'nginx.ingress.kubernetes.io/force-ssl-redirect': when(isNginx(ing.className), 'true'),
  };
  return annotationsWith(ing.annotations, own);
}

function isIssuer(kind: Val<string>): Val<boolean> {
  return eq(kind, 'Issuer');
}

function isNginx(className: Val<string>): Val<boolean> {
  return eq(className, 'nginx');
}

function annotationsWith(user: Val<Record<string, string>>, own: Record<string, unknown>): unknown {
  return optionalMap(mapWith(user, own));
}

/** The KubernetesExecutor's task pod: the same hardened pod as every other component. */
function taskPodTemplate(r: AirflowRelease): Val<string> {
  const needs = {};
  const { volumes, mounts } = r.volumes(needs, { dags: true });
  const spec = securePodSpec({
    identity: ImageIdentity.AIRFLOW,
    serviceAccountName: r.resourceName('task'),
    kubernetesApiAccess: false,
    restartPolicy: 'Never',
    imagePullSecrets: r.imagePullSecrets,
    security: r.security,
    containers: [{
      name: 'base',
      image: r.imageRef,
      imagePullPolicy: imagePullPolicy(r.image),
      env: items(...airflowBaseEnv(), ...r.taskEnv),
      volumeMounts: mounts,
      resources: { defaults: { cpu: '250m', memoryRequestMi: 512, memoryLimitMi: 2048 } },
      writablePaths: airflowWritablePaths(),
    }],
    volumes,
  });
  return yamlText('airflow.taskPodTemplate', 'The KubernetesExecutor\'s task pod (pod_template.yaml): hardened like every other pod.',
    { apiVersion: 'v1', kind: 'Pod', metadata: { labels: r.podLabels('task') }, spec });
}

