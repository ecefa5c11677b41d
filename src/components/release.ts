import { createHash } from 'crypto';
import { k8s } from 'cdk8s-plus-27';
import { AirflowConfig, renderAirflowCfg } from '../config/airflow-config';
import { SslMode } from '../config/database';
import { AIRFLOW_HOME, DagsSource, DAGS_FOLDER } from '../config/dags';
import { Executor } from '../config/executor';
import { ContainerImage } from '../config/image';
import { SecretKeyRef } from '../config/secrets';
import { NetworkPolicySettings } from '../security/network';
import { SecurityRelaxations } from '../security/pod-security';

/** How Airflow reaches its metadata database. */
export interface DatabaseEndpoint {
  readonly host: string;
  readonly port: number;
  readonly database: string;
  readonly user: string;
  readonly password: SecretKeyRef;
  readonly sslMode: SslMode;
  readonly caCertificate?: SecretKeyRef;
}

/** How Celery reaches Redis. */
export interface BrokerEndpoint {
  readonly host: string;
  readonly port: number;
  readonly password: SecretKeyRef;
  readonly tls: boolean;
  readonly caCertificate?: SecretKeyRef;
  readonly databaseIndex: number;
}

/** The Secrets every Airflow component may need; each reaches only the components that use it. */
export interface AirflowSecretRefs {
  readonly fernetKey: SecretKeyRef;
  readonly jwtSecret: SecretKeyRef;
  readonly apiSecretKey: SecretKeyRef;
}

/** Props of {@link AirflowRelease}. */
export interface AirflowReleaseProps {
  /** Prefix of every resource name: `<releaseName>-<component>`. */
  readonly releaseName: string;
  readonly image: ContainerImage;
  readonly imagePullSecrets?: string[];
  readonly executor: Executor;
  /** Full Airflow configuration (user settings merged over the chart's). */
  readonly config: AirflowConfig;
  readonly database: DatabaseEndpoint;
  readonly broker?: BrokerEndpoint;
  readonly secrets: AirflowSecretRefs;
  readonly dags?: DagsSource;
  readonly network: NetworkPolicySettings;
  readonly relaxations?: SecurityRelaxations;
  /**
   * Value of `app.kubernetes.io/managed-by`.
   * @default 'cdk8s'
   */
  readonly managedBy?: string;
}

/** What secret material a process needs. Least privilege: each flag is set only where Airflow uses it. */
export interface SecretNeeds {
  readonly database?: boolean;
  readonly fernetKey?: boolean;
  readonly jwtSecret?: boolean;
  readonly apiSecretKey?: boolean;
  readonly broker?: boolean;
}

export const CONFIG_VOLUME = 'config';
const SECRET_DIR = `${AIRFLOW_HOME}/secrets`;

/**
 * The release-wide facts every Airflow component shares: names, labels, image, config, endpoints, Secrets.
 * `AirflowChart` builds one; components built on their own take one too.
 */
export class AirflowRelease {
  public readonly name: string;
  public readonly image: ContainerImage;
  public readonly imagePullSecrets: string[];
  public readonly executor: Executor;
  public readonly config: AirflowConfig;
  public readonly configText: string;
  public readonly configChecksum: string;
  public readonly database: DatabaseEndpoint;
  public readonly broker?: BrokerEndpoint;
  public readonly secrets: AirflowSecretRefs;
  public readonly dags: DagsSource;
  public readonly network: NetworkPolicySettings;
  public readonly relaxations: SecurityRelaxations;
  public readonly managedBy: string;

  constructor(props: AirflowReleaseProps) {
    validateReleaseName(props.releaseName);
    if (props.executor === Executor.CELERY && !props.broker) {
      throw new Error('a broker is required with Executor.CELERY');
    }
    this.name = props.releaseName;
    this.image = props.image;
    this.imagePullSecrets = props.imagePullSecrets ?? [];
    this.executor = props.executor;
    this.config = props.config;
    this.configText = renderAirflowCfg(props.config);
    this.configChecksum = sha256(this.configText);
    this.database = props.database;
    this.broker = props.broker;
    this.secrets = props.secrets;
    this.dags = props.dags ?? DagsSource.fromImage();
    this.network = props.network;
    this.relaxations = props.relaxations ?? {};
    this.managedBy = props.managedBy ?? 'cdk8s';
  }

  /** `<release>-<component>`. */
  public resourceName(component: string): string {
    return `${this.name}-${component}`;
  }

  /** Labels that select a component's pods (never a version: selectors are immutable). */
  public selectorLabels(component: string): Record<string, string> {
    return {
      'app.kubernetes.io/name': 'airflow',
      'app.kubernetes.io/instance': this.name,
      'app.kubernetes.io/component': component,
    };
  }

  /** Labels that select every pod of the release. */
  public instanceLabels(): Record<string, string> {
    return { 'app.kubernetes.io/name': 'airflow', 'app.kubernetes.io/instance': this.name };
  }

  /** Full recommended labels. */
  public labels(component: string, version: string = this.image.version): Record<string, string> {
    return {
      ...this.selectorLabels(component),
      'app.kubernetes.io/version': version,
      'app.kubernetes.io/managed-by': this.managedBy,
      'app.kubernetes.io/part-of': 'airflow',
    };
  }

  /** Name of the ConfigMap holding airflow.cfg. */
  public get configMapName(): string {
    return this.resourceName('config');
  }

  /** URL of the execution API that task processes call. */
  public get executionApiUrl(): string {
    return `http://${this.resourceName('api-server')}:8080/execution/`;
  }

  /** Environment for an Airflow process: only the Secrets it needs, never a value inline. */
  public env(needs: SecretNeeds): k8s.EnvVar[] {
    const env: k8s.EnvVar[] = [];
    const fromSecret = (name: string, ref: SecretKeyRef): k8s.EnvVar =>
      ({ name, valueFrom: { secretKeyRef: { name: ref.name, key: ref.key } } });
    if (needs.database) {
      const db = this.database;
      env.push(fromSecret('AIRFLOW_DB_PASSWORD', db.password));
      const query = [`sslmode=${db.sslMode}`];
      if (db.caCertificate) query.push(`sslrootcert=${SECRET_DIR}/database-ca/${db.caCertificate.key}`);
      // Kubernetes expands $(AIRFLOW_DB_PASSWORD) at container start; the manifest holds only the reference.
      env.push({
        name: 'AIRFLOW__DATABASE__SQL_ALCHEMY_CONN',
        value: `postgresql+psycopg2://${db.user}:$(AIRFLOW_DB_PASSWORD)@${db.host}:${db.port}/${db.database}?${query.join('&')}`,
      });
    }
    if (needs.fernetKey) env.push(fromSecret('AIRFLOW__CORE__FERNET_KEY', this.secrets.fernetKey));
    if (needs.jwtSecret) env.push(fromSecret('AIRFLOW__API_AUTH__JWT_SECRET', this.secrets.jwtSecret));
    if (needs.apiSecretKey) env.push(fromSecret('AIRFLOW__API__SECRET_KEY', this.secrets.apiSecretKey));
    if (needs.broker && this.broker) {
      const b = this.broker;
      env.push(fromSecret('AIRFLOW_REDIS_PASSWORD', b.password));
      const scheme = b.tls ? 'rediss' : 'redis';
      const tlsQuery = b.tls
        ? `?ssl_cert_reqs=required${b.caCertificate ? `&ssl_ca_certs=${SECRET_DIR}/redis-ca/${b.caCertificate.key}` : ''}`
        : '';
      const url = (index: number) => `${scheme}://:$(AIRFLOW_REDIS_PASSWORD)@${b.host}:${b.port}/${index}${tlsQuery}`;
      env.push({ name: 'AIRFLOW__CELERY__BROKER_URL', value: url(b.databaseIndex) });
      // Results in Redis too, so Celery workers never hold database credentials (see README).
      env.push({ name: 'AIRFLOW__CELERY__RESULT_BACKEND', value: url(b.databaseIndex + 1) });
    }
    return env;
  }

  /** Volumes an Airflow pod needs for the given Secrets and DAGs (config, CA certificates, DAG claim). */
  public volumes(needs: SecretNeeds, opts: { dags?: boolean } = {}): { volumes: k8s.Volume[]; mounts: k8s.VolumeMount[] } {
    const volumes: k8s.Volume[] = [{ name: CONFIG_VOLUME, configMap: { name: this.configMapName } }];
    const mounts: k8s.VolumeMount[] = [{ name: CONFIG_VOLUME, mountPath: `${AIRFLOW_HOME}/airflow.cfg`, subPath: 'airflow.cfg', readOnly: true }];
    const ca = (name: string, ref: SecretKeyRef) => {
      volumes.push({ name, secret: { secretName: ref.name, items: [{ key: ref.key, path: ref.key }] } });
      mounts.push({ name, mountPath: `${SECRET_DIR}/${name}`, readOnly: true });
    };
    if (needs.database && this.database.caCertificate) ca('database-ca', this.database.caCertificate);
    if (needs.broker && this.broker?.caCertificate) ca('redis-ca', this.broker.caCertificate);
    if (opts.dags && this.dags.claimName) {
      volumes.push({ name: 'dags', persistentVolumeClaim: { claimName: this.dags.claimName, readOnly: true } });
      mounts.push({ name: 'dags', mountPath: DAGS_FOLDER, readOnly: true });
    }
    return { volumes, mounts };
  }
}

/**
 * Validates a release name: it prefixes every resource name, and `<release>-<component>` must stay a DNS label.
 */
export function validateReleaseName(name: string): string {
  if (!/^[a-z]([-a-z0-9]{0,38}[a-z0-9])?$/.test(name)) {
    throw new Error(`releaseName must be a lowercase DNS label of at most 40 characters starting with a letter, got '${name}'; `
      + 'set releaseName (it defaults to the chart id)');
  }
  return name;
}

/** Hex SHA-256 of a string. */
export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
