import { Chart, ChartProps } from 'cdk8s';
import { k8s } from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { stringify } from 'yaml';
import { ApiServer, ApiServerOptions } from './components/api-server';
import { CeleryWorkers, CeleryWorkersOptions } from './components/celery-worker';
import { DagProcessor, DagProcessorOptions } from './components/dag-processor';
import { Flower, FlowerOptions } from './components/flower';
import { CreateAdminUser, DatabaseMigrations, JobOptions, SecretsGenerator, SyncRoles } from './components/jobs';
import { Postgres, PostgresOptions, POSTGRES_PORT } from './components/postgres';
import { Redis, RedisOptions, REDIS_PORT } from './components/redis';
import { AirflowRelease, BrokerEndpoint, DatabaseEndpoint, sha256, validateReleaseName } from './components/release';
import { Scheduler, SchedulerOptions } from './components/scheduler';
import { Triggerer, TriggererOptions } from './components/triggerer';
import { Workload } from './components/workload';
import { AirflowConfig, mergeConfig, validateConfig } from './config/airflow-config';
import { AirflowAuth } from './config/auth';
import { CeleryBroker } from './config/broker';
import { AIRFLOW_HOME, DagsSource } from './config/dags';
import { MetadataDatabase, SslMode, validateCidrs, validateHost } from './config/database';
import { Executor } from './config/executor';
import { ContainerImage, DefaultImages } from './config/image';
import { IngressOptions, IngressTls } from './config/ingress';
import { GeneratedSecret, GeneratedValue, SecretKeyRef } from './config/secrets';
import { airflowBaseEnv, airflowWritablePaths } from './components/airflow-process';
import { defaultDenyPolicy, ExternalPeer, INetworkEndpoint, KUBE_API_PORTS, KUBE_DNS, NetworkPort, Connections } from './security/network';
import { ImageIdentity, securePodSpec, SecurityRelaxations } from './security/pod-security';
import { serviceAccount } from './security/rbac';
import { synthChart } from './synth';
import { resources } from './components/workload';
import { API_SERVER_PORT } from './components/api-server';

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
   * Non-secret Airflow settings, `{ section: { key: value } }`.
   * @default - the chart's settings only
   */
  readonly config?: AirflowConfig;
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
}

/**
 * Apache Airflow 3 on Kubernetes, secure by default: api-server, scheduler, dag-processor, triggerer, Celery
 * workers, optional Flower, embedded or external PostgreSQL and Redis, migration / admin / secret Jobs,
 * default-deny NetworkPolicies, and an optional TLS Ingress.
 */
export class AirflowChart extends Chart {
  public readonly release: AirflowRelease;
  public readonly apiServer: ApiServer;
  public readonly scheduler: Scheduler;
  public readonly dagProcessor: DagProcessor;
  public readonly triggerer: Triggerer;
  public readonly workers?: CeleryWorkers;
  public readonly flower?: Flower;
  public readonly postgres?: Postgres;
  public readonly redis?: Redis;
  /** Security defaults this chart relaxes, one sentence each (empty when none). */
  public readonly relaxedDefaults: string[] = [];

  constructor(scope: Construct, id: string, props: AirflowChartProps = {}) {
    super(scope, id, props);
    const releaseName = validateReleaseName(props.releaseName ?? id);
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
    const name = (c: string) => `${releaseName}-${c}`;
    const generated: GeneratedSecret[] = [];
    const generatedRef = (secret: string, key: string, value: GeneratedValue, literal?: string): SecretKeyRef => {
      let s = generated.find((g) => g.name === secret);
      if (!s) { s = { name: secret, keys: [] }; generated.push(s); }
      s.keys.push({ key, value, literal });
      return SecretKeyRef.fromSecret(secret, key);
    };

    // Secrets: user references win; the rest are generated once in the cluster.
    const sec = props.secrets ?? {};
    const secrets = {
      fernetKey: sec.fernetKey ?? generatedRef(name('fernet-key'), 'fernet-key', GeneratedValue.FERNET_KEY),
      jwtSecret: sec.jwtSecret ?? generatedRef(name('jwt-secret'), 'jwt-secret', GeneratedValue.RANDOM_HEX),
      apiSecretKey: sec.apiSecretKey ?? generatedRef(name('api-secret-key'), 'api-secret-key', GeneratedValue.RANDOM_HEX),
    };

    let dbEndpoint: DatabaseEndpoint;
    if (database.isEmbedded) {
      dbEndpoint = {
        host: name('postgres'), port: POSTGRES_PORT, database: 'airflow', user: 'airflow',
        password: database.embeddedOptions.password ?? generatedRef(name('postgres'), 'password', GeneratedValue.RANDOM_HEX),
        // Inside the release, traffic is confined by NetworkPolicy; the embedded server has no certificate.
        sslMode: SslMode.DISABLE,
      };
    } else {
      const x = database.externalOptions!;
      dbEndpoint = {
        host: x.host, port: x.port ?? POSTGRES_PORT, database: x.database ?? 'airflow', user: x.user ?? 'airflow',
        password: x.password, sslMode: x.sslMode ?? SslMode.VERIFY_FULL, caCertificate: x.caCertificate,
      };
    }
    let brokerEndpoint: BrokerEndpoint | undefined;
    if (broker?.isEmbedded) {
      brokerEndpoint = {
        host: name('redis'), port: REDIS_PORT, tls: false, databaseIndex: 0,
        password: broker.embeddedOptions.password ?? generatedRef(name('redis'), 'password', GeneratedValue.RANDOM_HEX),
      };
    } else if (broker) {
      const x = broker.externalOptions!;
      brokerEndpoint = {
        host: x.host, port: x.port ?? REDIS_PORT, tls: x.tls ?? true, caCertificate: x.caCertificate,
        databaseIndex: x.databaseIndex ?? 0, password: x.password,
      };
    }

    validateConfig(props.config ?? {});
    const chartConfig: AirflowConfig = {
      core: {
        executor,
        auth_manager: 'airflow.providers.fab.auth_manager.fab_auth_manager.FabAuthManager',
        execution_api_server_url: `http://${name('api-server')}:${API_SERVER_PORT}/execution/`,
        // Log servers are reached by IP: Deployment pod names do not resolve in cluster DNS.
        hostname_callable: 'airflow.utils.net.get_host_ip_address',
        load_examples: false,
      },
      api: { port: API_SERVER_PORT, ...(props.ingress ? { base_url: `https://${props.ingress.host}` } : {}) },
      scheduler: { enable_health_check: true, scheduler_health_check_server_port: 8974 },
      logging: { worker_log_server_port: 8793, trigger_log_server_port: 8794 },
      ...(executor === Executor.KUBERNETES ? {
        kubernetes_executor: {
          namespace: props.namespace!,
          pod_template_file: `${AIRFLOW_HOME}/pod_templates/pod_template.yaml`,
          delete_worker_pods: true,
        },
      } : {}),
    };
    const config = mergeConfig(chartConfig, props.config ?? {});

    this.release = new AirflowRelease({
      releaseName,
      image,
      imagePullSecrets: props.imagePullSecrets,
      executor,
      config,
      database: dbEndpoint,
      broker: brokerEndpoint,
      secrets,
      dags: props.dags,
      network: {
        enabled: network.enabled ?? true,
        dns: network.dnsNamespaceLabels || network.dnsPodLabels
          ? ExternalPeer.namespaces(network.dnsNamespaceLabels ?? { 'kubernetes.io/metadata.name': 'kube-system' }, network.dnsPodLabels ?? { 'k8s-app': 'kube-dns' }, 'cluster DNS')
          : KUBE_DNS,
      },
      relaxations,
      managedBy: props.managedBy,
    });
    const r = this.release;

    // Shared configuration: airflow.cfg, the FAB webserver_config.py and (KubernetesExecutor) the task pod template.
    const configData: Record<string, string> = { 'airflow.cfg': r.configText, 'webserver_config.py': auth.webserverConfig };
    if (executor === Executor.KUBERNETES) configData['pod_template.yaml'] = this.taskPodTemplate(r);
    new k8s.KubeConfigMap(this, 'Config', { metadata: { name: r.configMapName, labels: r.labels('config') }, data: configData });
    const fabVolumes = {
      volumes: [],
      mounts: [{ name: 'config', mountPath: `${AIRFLOW_HOME}/webserver_config.py`, subPath: 'webserver_config.py', readOnly: true }],
    };
    // LDAP bind password, OAuth client secret, directory CA: files in the api-server only.
    const authSecrets = auth.apiServerSecretVolumes();
    const apiLogin = auth.isDatabase ? fabVolumes : {
      volumes: authSecrets.volumes,
      mounts: [...fabVolumes.mounts, ...authSecrets.mounts],
      env: auth.env,
      checksum: sha256(auth.webserverConfig),
    };

    // Components.
    this.apiServer = new ApiServer(this, 'ApiServer', { ...props.apiServer, release: r, login: apiLogin });
    this.scheduler = new Scheduler(this, 'Scheduler', {
      ...props.scheduler,
      release: r,
      podTemplate: executor === Executor.KUBERNETES ? {
        volumes: [],
        mounts: [{ name: 'config', mountPath: `${AIRFLOW_HOME}/pod_templates/pod_template.yaml`, subPath: 'pod_template.yaml', readOnly: true }],
      } : undefined,
    });
    this.dagProcessor = new DagProcessor(this, 'DagProcessor', { ...props.dagProcessor, release: r });
    this.triggerer = new Triggerer(this, 'Triggerer', { ...props.triggerer, release: r });
    if (celery) {
      this.workers = new CeleryWorkers(this, 'Workers', { ...props.workers, release: r });
      if (props.flower?.enabled) {
        this.flower = new Flower(this, 'Flower', {
          ...props.flower,
          release: r,
          username: props.flower.username ?? generatedRef(name('flower'), 'username', GeneratedValue.LITERAL, 'admin'),
          password: props.flower.password ?? generatedRef(name('flower'), 'password', GeneratedValue.RANDOM_HEX),
        });
      }
    }
    if (database.isEmbedded) {
      this.postgres = new Postgres(this, 'Postgres', {
        ...props.postgres,
        release: r,
        password: dbEndpoint.password,
        storageSize: database.embeddedOptions.storageSize,
        storageClassName: database.embeddedOptions.storageClassName,
      });
    }
    if (broker?.isEmbedded) {
      this.redis = new Redis(this, 'Redis', { ...props.redis, release: r, password: brokerEndpoint!.password });
    }

    const jobOptions = props.jobs ?? {};
    const migrations = new DatabaseMigrations(this, 'Migrations', { ...jobOptions, release: r });
    const admin = props.adminUser ?? {};
    let createUser: CreateAdminUser | undefined;
    if (admin.enabled ?? auth.isDatabase) {
      createUser = new CreateAdminUser(this, 'AdminUser', {
        ...jobOptions,
        release: r,
        username: admin.username ?? generatedRef(name('admin'), 'username', GeneratedValue.LITERAL, 'admin'),
        password: admin.password ?? generatedRef(name('admin'), 'password', GeneratedValue.RANDOM_HEX),
        email: admin.email,
        firstName: admin.firstName,
        lastName: admin.lastName,
        // The CLI creates a database user whatever the login; only database login needs its settings.
        authVolumes: auth.isDatabase ? fabVolumes : undefined,
      });
    }
    let syncRoles: SyncRoles | undefined;
    if (auth.roleSync.length > 0) {
      syncRoles = new SyncRoles(this, 'SyncRoles', { ...jobOptions, release: r, roles: auth.roleSync });
    }
    if (generated.length > 0) {
      new SecretsGenerator(this, 'SecretsGenerator', { ...jobOptions, release: r, secrets: generated });
    }

    // Network: default deny, then one allow per real Airflow 3 connection.
    defaultDenyPolicy(this, 'DefaultDeny', name('default-deny'), r.labels('network-policy'), r.instanceLabels(), r.network);
    const api = this.apiServer.workload;
    const ingressController = ExternalPeer.namespaces(props.ingress?.controllerNamespaceLabels ?? { 'kubernetes.io/metadata.name': 'ingress-nginx' }, undefined, 'the ingress controller');
    if (props.ingress) api.connections.allowFrom(ingressController);
    // LDAP binds and searches, OIDC discovery, token and key requests: from the api-server only.
    if (auth.egress) api.connections.allowTo(ExternalPeer.cidrs(auth.egress.cidrs, auth.egress.description), NetworkPort.tcp(auth.egress.port));
    const dbClients: INetworkEndpoint[] = [api, this.scheduler.workload, this.dagProcessor.workload, this.triggerer.workload, migrations, ...(createUser ? [createUser] : []), ...(syncRoles ? [syncRoles] : [])];
    for (const c of dbClients) {
      if (this.postgres) c.connections.allowTo(this.postgres.workload);
      else c.connections.allowTo(ExternalPeer.cidrs(database.externalOptions!.cidrs ?? ['0.0.0.0/0'], 'the external database'), NetworkPort.tcp(dbEndpoint.port));
    }
    const brokerClients: Workload[] = [this.scheduler.workload, ...(this.workers ? [this.workers.workload] : []), ...(this.flower ? [this.flower.workload] : [])];
    if (brokerEndpoint) {
      for (const c of brokerClients) {
        if (this.redis) c.connections.allowTo(this.redis.workload);
        else c.connections.allowTo(ExternalPeer.cidrs(broker!.externalOptions!.cidrs ?? ['0.0.0.0/0'], 'the external Redis'), NetworkPort.tcp(brokerEndpoint.port));
      }
    }
    const taskRunners: Connections[] = [this.triggerer.workload.connections];
    if (this.workers) {
      this.workers.workload.connections.allowTo(api); // execution API
      api.connections.allowTo(this.workers.workload); // task logs, 8793
      taskRunners.push(this.workers.workload.connections);
    }
    api.connections.allowTo(this.triggerer.workload); // trigger logs, 8794
    if (executor === Executor.LOCAL) {
      this.scheduler.workload.connections.allowTo(api); // tasks call the execution API
      api.connections.allowTo(this.scheduler.workload); // task logs, 8793
      taskRunners.push(this.scheduler.workload.connections);
    }
    if (executor === Executor.KUBERNETES) {
      for (const port of KUBE_API_PORTS) this.scheduler.workload.connections.allowTo(ExternalPeer.cidrs(['0.0.0.0/0'], 'the Kubernetes API'), port);
      serviceAccount(this, name('task'), r.labels('task'));
      const tasks = new Connections(this, 'TaskPodsNetworkPolicy', {
        name: name('task'), labels: r.labels('task'), podLabels: r.selectorLabels('task'), settings: r.network,
      });
      tasks.allowTo(api);
      taskRunners.push(tasks);
    }
    if (taskEgress.length > 0) {
      for (const c of taskRunners) c.allowToAnyPort(ExternalPeer.cidrs(taskEgress, 'task egress'));
    }

    if (props.ingress) this.createIngress(props.ingress, r);
  }

  /**
   * Renders this chart to Kubernetes manifests, as `Chart.toJson()` does, but resolves dependencies and validates
   * this chart only instead of the whole app, so an App of N charts synthesizes in time linear in N.
   * @see synthChart
   */
  public toJson(): any[] {
    return synthChart(this);
  }

  private createIngress(ingress: IngressOptions, r: AirflowRelease): void {
    const annotations: Record<string, string> = { ...(ingress.annotations ?? {}) };
    const tls = ingress.tls;
    if (tls.issuer) {
      annotations[tls.issuerKind === 'Issuer' ? 'cert-manager.io/issuer' : 'cert-manager.io/cluster-issuer'] = tls.issuer;
    }
    if (ingress.className === 'nginx') annotations['nginx.ingress.kubernetes.io/force-ssl-redirect'] = 'true';
    new k8s.KubeIngress(this, 'Ingress', {
      metadata: { name: r.resourceName('api-server'), labels: r.labels('api-server'), annotations },
      spec: {
        ingressClassName: ingress.className,
        tls: [{ hosts: [ingress.host], secretName: tls.secretName ?? r.resourceName('tls') }],
        rules: [{
          host: ingress.host,
          http: {
            paths: [{
              path: '/',
              pathType: 'Prefix',
              backend: { service: { name: this.apiServer.serviceName, port: { name: 'http' } } },
            }],
          },
        }],
      },
    });
  }

  /** The KubernetesExecutor's task pod: the same hardened pod as every other component. */
  private taskPodTemplate(r: AirflowRelease): string {
    const needs = {};
    const { volumes, mounts } = r.volumes(needs, { dags: true });
    const spec = securePodSpec({
      identity: ImageIdentity.AIRFLOW,
      serviceAccountName: r.resourceName('task'),
      kubernetesApiAccess: false,
      restartPolicy: 'Never',
      imagePullSecrets: r.imagePullSecrets,
      relaxations: r.relaxations,
      containers: [{
        name: 'base',
        image: r.image.reference,
        imagePullPolicy: r.image.pullPolicy,
        env: airflowBaseEnv(),
        volumeMounts: mounts,
        resourceSpec: resources(250, 512, 2048),
        resourceProp: 'tasks.resources',
        writablePaths: airflowWritablePaths(),
      }],
      volumes,
    });
    return stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { labels: r.labels('task') }, spec: k8s.toJson_PodSpec(spec) }, { lineWidth: 0 });
  }
}
