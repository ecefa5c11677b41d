import { createHash } from 'crypto';
import { ContainerImage } from '../config/image';
import { airflowBaseEnv } from './airflow-env';
import { AIRFLOW_HOME, DAGS_FOLDER } from '../config/dags';
import { Executor } from '../config/executor';
import { Val } from '../expr/core';
import { add, and, concat, condition, ifElse, isSet, named, sha256 as sha256Of, str } from '../expr/ops';
import { items, mapWith, spread, template, when } from '../expr/tree';
import { NetworkPolicySettings } from '../security/network';
import { PodSecurity } from '../security/pod-security';
import { imageReference, imageVersion, ImageSpec } from './image-spec';

export type { ImageSpec } from './image-spec';

/** A key of a Secret, by name and key; either may be known only when the chart is rendered. */
export interface SecretRef {
  readonly name: Val<string>;
  readonly key: Val<string>;
}

/** A Secret key that may be absent (`present` says when it is there). */
export interface OptionalSecretRef extends SecretRef {
  readonly present: Val<boolean>;
}

/** How Airflow reaches its metadata database. */
export interface DatabaseEndpoint {
  readonly host: Val<string>;
  readonly port: Val<number>;
  readonly database: Val<string>;
  readonly user: Val<string>;
  readonly password: SecretRef;
  readonly sslMode: Val<string>;
  readonly caCertificate: OptionalSecretRef;
}

/** How Celery reaches Redis. */
export interface BrokerEndpoint {
  readonly host: Val<string>;
  readonly port: Val<number>;
  readonly password: SecretRef;
  readonly tls: Val<boolean>;
  readonly caCertificate: OptionalSecretRef;
  readonly databaseIndex: Val<number>;
}

/** The Secrets every Airflow component may need; each reaches only the components that use it. */
export interface AirflowSecretRefs {
  readonly fernetKey: SecretRef;
  readonly jwtSecret: SecretRef;
  readonly apiSecretKey: SecretRef;
}

/** Which executor runs tasks, as conditions (each a named condition in the chart). */
export interface ExecutorConditions {
  readonly celery: Val<boolean>;
  readonly local: Val<boolean>;
  readonly kubernetes: Val<boolean>;
}

/**
 * Props of {@link AirflowRelease}. Internal: `AirflowChart` builds them from its props (literals) and the chart
 * emitter from the values (references into the values model).
 */
export interface AirflowReleaseProps {
  /** Prefix of every resource name: `<name>-<component>`. */
  readonly name: Val<string>;
  readonly namespace: Val<string>;
  readonly image: ImageSpec;
  /** `[{ name }]`. */
  readonly imagePullSecrets: Val<{ name: string }[]>;
  readonly executor: Val<Executor>;
  readonly executors: ExecutorConditions;
  /** Full airflow.cfg text. */
  readonly configText: Val<string>;
  readonly database: DatabaseEndpoint;
  /** Present with the Celery executor. */
  readonly broker: BrokerEndpoint;
  readonly secrets: AirflowSecretRefs;
  /** PersistentVolumeClaim holding the DAGs; empty: the image's. */
  readonly dagsClaim: Val<string>;
  readonly network: NetworkPolicySettings;
  /** Containers may write to their root filesystem (a relaxation). */
  readonly writableRootFilesystem: Val<boolean>;
  /** Value of `app.kubernetes.io/managed-by`. */
  readonly managedBy: Val<string>;
  /** `helm.sh/chart` label (charts only). */
  readonly chartLabel?: Val<string>;
  /**
   * Environment of the processes that run tasks (Celery workers, the LocalExecutor scheduler, task pods), e.g. the
   * connection to Cornflow.
   * @default - none
   */
  readonly taskEnv?: unknown[];
}

/** What secret material a process needs. Least privilege: each flag is set only where Airflow uses it. */
export interface SecretNeeds {
  readonly database?: Val<boolean>;
  readonly fernetKey?: Val<boolean>;
  readonly jwtSecret?: Val<boolean>;
  readonly apiSecretKey?: Val<boolean>;
  readonly broker?: Val<boolean>;
}

export const CONFIG_VOLUME = 'config';
const SECRET_DIR = `${AIRFLOW_HOME}/secrets`;

/** An env entry from a Secret key. */
export function secretEnv(name: string, ref: SecretRef): Record<string, unknown> {
  return { name, valueFrom: { secretKeyRef: { name: ref.name, key: ref.key } } };
}

/**
 * The release-wide facts every Airflow component shares: names, labels, image, config, endpoints, Secrets. Built
 * by `AirflowChart`. TypeScript only: its members are value expressions (see CONTRIBUTING.md), which the jsii
 * languages cannot express.
 * @jsii ignore
 */
export class AirflowRelease {
  /** The release name: every object is `<name>-<component>`. */
  public readonly name: Val<string>;
  /** The namespace of every object. */
  public readonly namespace: Val<string>;
  /** Airflow's image. */
  public readonly image: ImageSpec;
  /** Pull Secrets of every pod. */
  public readonly imagePullSecrets: Val<{ name: string }[]>;
  /** The executor. */
  public readonly executor: Val<Executor>;
  /** Which executor is in use, as conditions the components branch on. */
  public readonly executors: ExecutorConditions;
  /** The rendered airflow.cfg (no secrets: they come from the environment). */
  public readonly configText: Val<string>;
  /** The metadata database: host, port, user, TLS and password Secret. */
  public readonly database: DatabaseEndpoint;
  /** The Celery broker: host, port, TLS and password Secret. */
  public readonly broker: BrokerEndpoint;
  /** Airflow's own secrets (fernet key, JWT secret, API secret key): where each is read from. */
  public readonly secrets: AirflowSecretRefs;
  /** The PersistentVolumeClaim holding the DAGs; empty when they come with the image. */
  public readonly dagsClaim: Val<string>;
  /** NetworkPolicy settings: on or off, DNS peers, task egress. */
  public readonly network: NetworkPolicySettings;
  /** Whether containers may write to their root filesystem (a relaxation). */
  public readonly writableRootFilesystem: Val<boolean>;
  /** Security contexts and defaults of the release's pods. */
  public readonly security: PodSecurity;
  /** The `app.kubernetes.io/managed-by` label value. */
  public readonly managedBy: Val<string>;
  /** The `helm.sh/chart` label value, in the emitted Helm chart only. */
  public readonly chartLabel?: Val<string>;
  /** Environment of the processes that run tasks. */
  public readonly taskEnv: unknown[];

  constructor(props: AirflowReleaseProps) {
    this.name = props.name;
    this.namespace = props.namespace;
    this.image = props.image;
    this.imagePullSecrets = props.imagePullSecrets;
    this.executor = props.executor;
    this.executors = props.executors;
    this.configText = props.configText;
    this.database = props.database;
    this.broker = props.broker;
    this.secrets = props.secrets;
    this.dagsClaim = props.dagsClaim;
    this.network = props.network;
    this.writableRootFilesystem = props.writableRootFilesystem;
    this.security = new PodSecurity(props.writableRootFilesystem);
    this.managedBy = props.managedBy;
    this.chartLabel = props.chartLabel;
    this.taskEnv = props.taskEnv ?? [];
  }

  /** `<release>-<component>`. */
  public resourceName(component: string): Val<string> {
    return str`${this.name}-${component}`;
  }

  /** Labels that select a component's pods (never a version: selectors are immutable). */
  public selectorLabels(component: string): Record<string, string> {
    return this.selectorLabelsTemplate({ component });
  }

  /** Labels that select every pod of the release. */
  public instanceLabels(): Record<string, unknown> {
    return this.instanceLabelsTemplate({});
  }

  private readonly instanceLabelsTemplate = template<Record<string, never>>({
    name: 'airflow.instanceLabels',
    doc: 'Labels that select every pod of the release.',
    kind: 'map',
    params: {},
    body: () => ({ 'app.kubernetes.io/name': 'airflow', 'app.kubernetes.io/instance': this.name }),
  });

  /** Full recommended labels of a component running `image` (default: Airflow's). */
  public labels(component: string, image: ImageSpec = this.image): Record<string, string> {
    return this.labelsTemplate({ component, image });
  }

  /**
   * Labels of a component's pods: its selector labels, the version of its image, part-of. Not who manages them (a
   * chart and the constructs then render the same pods, and a Job's name, the hash of its pod, is the same in both).
   */
  public podLabels(component: string, image: ImageSpec = this.image): Record<string, string> {
    return this.podLabelsTemplate({ component, image });
  }

  /** The Airflow image reference. */
  public get imageRef(): Val<string> {
    return imageReference(this.image);
  }

  /** DAGs come from a PersistentVolumeClaim (not the image). */
  public get dagsFromClaim(): Val<boolean> {
    return condition('airflow.dagsFromClaim', 'DAGs come from a PersistentVolumeClaim (dags.persistentVolumeClaim), mounted read-only.', isSet(this.dagsClaim));
  }

  /** Name of the ConfigMap holding airflow.cfg. */
  public get configMapName(): Val<string> {
    return this.resourceName('config');
  }

  /** Checksum of airflow.cfg, which rolls the pods when it changes. */
  public get configChecksum(): Val<string> {
    return checksum(this.configText);
  }

  /** Environment for an Airflow process: the base settings and only the Secrets it needs, never a value inline. */
  public env(needs: SecretNeeds): unknown[] {
    const t = this.envTemplates;
    return items<unknown>(
      spread(t.base({})),
      when(needs.database ?? false, spread(t.database({})), spread(t.withoutDatabase({}))),
      when(needs.fernetKey ?? false, spread(t.fernetKey({}))),
      when(needs.jwtSecret ?? false, spread(t.jwtSecret({}))),
      when(needs.apiSecretKey ?? false, spread(t.apiSecretKey({}))),
      when(needs.broker ?? false, spread(t.broker({}))),
    );
  }

  private envTemplatesCache?: ReturnType<AirflowRelease['makeEnvTemplates']>;

  /** The environment blocks (named templates in the chart: `airflow.env`, `airflow.env.database`, ...). */
  private get envTemplates() {
    return this.envTemplatesCache ??= this.makeEnvTemplates();
  }

  private makeEnvTemplates() {
    const block = (name: string, doc: string, body: () => unknown[]) =>
      template<Record<string, never>>({ name, doc, kind: 'list', params: {}, body });
    const db = this.database;
    const b = this.broker;
    const dbUrl = named('airflow.databaseUrl', 'The SQLAlchemy URL of the metadata database, without the password (PGPASSWORD holds it).',
      concat('postgresql+psycopg2://', db.user, '@', db.host, ':', db.port, '/', db.database, '?sslmode=', db.sslMode,
        ifElse(db.caCertificate.present, concat(`&sslrootcert=${SECRET_DIR}/database-ca/`, db.caCertificate.key), '')));
    const brokerUrl = (index: Val<number>) => concat(ifElse(b.tls, 'rediss', 'redis'), '://:$(AIRFLOW_REDIS_PASSWORD)@', b.host, ':', b.port, '/', index,
      ifElse(b.tls, concat('?ssl_cert_reqs=required',
        ifElse(b.caCertificate.present, concat(`&ssl_ca_certs=${SECRET_DIR}/redis-ca/`, b.caCertificate.key), '')), ''));
    return {
      base: block('airflow.env', 'The environment every Airflow container gets (no secret).', () => airflowBaseEnv()),
      database: block('airflow.env.database', 'The metadata database: the connection URL, and the password (PGPASSWORD) from its Secret.', () => [
        // libpq (psycopg2) and asyncpg read the password from PGPASSWORD: it is never part of the URL, so any
        // character works in it (in a URL, @ / : % # would have to be escaped, which Kubernetes' $(VAR) cannot do).
        secretEnv('PGPASSWORD', db.password),
        { name: 'AIRFLOW__DATABASE__SQL_ALCHEMY_CONN', value: dbUrl },
      ]),
      // The CLI's audit log ("cli_worker" rows) falls back to a SQLite file in AIRFLOW_HOME, on the read-only root
      // ("Failed to log action", sqlite3.OperationalError, at every start): an in-memory SQLite instead has no table,
      // so Airflow skips the row quietly. These processes have no database credentials by design.
      withoutDatabase: block('airflow.env.withoutDatabase', 'Processes without database access: the CLI\'s audit log goes nowhere instead of to a file.',
        () => [{ name: 'AIRFLOW__DATABASE__SQL_ALCHEMY_CONN', value: 'sqlite://' }]),
      fernetKey: block('airflow.env.fernetKey', 'The Fernet key encrypting connections and variables.', () => [secretEnv('AIRFLOW__CORE__FERNET_KEY', this.secrets.fernetKey)]),
      jwtSecret: block('airflow.env.jwtSecret', 'The key signing the API\'s JWTs.', () => [secretEnv('AIRFLOW__API_AUTH__JWT_SECRET', this.secrets.jwtSecret)]),
      apiSecretKey: block('airflow.env.apiSecretKey', '[api] secret_key: signs UI sessions and requests to the log servers.', () => [secretEnv('AIRFLOW__API__SECRET_KEY', this.secrets.apiSecretKey)]),
      broker: block('airflow.env.broker', 'The Celery broker and result backend (Redis): its password from its Secret, and the URLs.', () => [
        secretEnv('AIRFLOW_REDIS_PASSWORD', b.password),
        { name: 'AIRFLOW__CELERY__BROKER_URL', value: named('airflow.brokerUrl', 'The Celery broker URL (Redis).', brokerUrl(b.databaseIndex)) },
        // Results in Redis too, so Celery workers never hold database credentials (see README).
        { name: 'AIRFLOW__CELERY__RESULT_BACKEND', value: named('airflow.resultBackendUrl', 'The Celery result backend URL (the next Redis database).', brokerUrl(add(b.databaseIndex, 1))) },
      ]),
    };
  }

  /** Volumes an Airflow pod needs for the given Secrets and DAGs (config, CA certificates, DAG claim). */
  public volumes(needs: SecretNeeds, opts: { dags?: Val<boolean> } = {}): { volumes: unknown[]; mounts: unknown[] } {
    const db = this.database.caCertificate;
    const rd = this.broker.caCertificate;
    const dbCa = and(needs.database ?? false, db.present);
    const redisCa = and(needs.broker ?? false, rd.present);
    const dags = and(opts.dags ?? false, this.dagsFromClaim);
    const ca = (name: string, ref: SecretRef) => ({ name, secret: { secretName: ref.name, items: [{ key: ref.key, path: ref.key }] } });
    const caMount = (name: string) => ({ name, mountPath: `${SECRET_DIR}/${name}`, readOnly: true });
    return {
      volumes: items<unknown>(
        { name: CONFIG_VOLUME, configMap: { name: this.configMapName } },
        when(dbCa, ca('database-ca', db)),
        when(redisCa, ca('redis-ca', rd)),
        when(dags, { name: 'dags', persistentVolumeClaim: { claimName: this.dagsClaim, readOnly: true } }),
      ),
      mounts: items<unknown>(
        { name: CONFIG_VOLUME, mountPath: `${AIRFLOW_HOME}/airflow.cfg`, subPath: 'airflow.cfg', readOnly: true },
        when(dbCa, caMount('database-ca')),
        when(redisCa, caMount('redis-ca')),
        when(dags, { name: 'dags', mountPath: DAGS_FOLDER, readOnly: true }),
      ),
    };
  }

  private readonly selectorLabelsTemplate = template<{ component: Val<string> }>({
    name: 'airflow.selectorLabels',
    doc: 'Labels that select a component\'s pods: name, instance, component (never a version: selectors are immutable).',
    kind: 'map',
    params: { component: 'string' },
    body: (p) => mapWith(this.instanceLabelsTemplate({}), { 'app.kubernetes.io/component': p.component }),
  });

  private readonly podLabelsTemplate = template<{ component: Val<string>; image: ImageSpec }>({
    name: 'airflow.podLabels',
    doc: 'Labels of a component\'s pods: its selector labels and the version of its image.',
    kind: 'map',
    params: { component: 'string', image: 'map' },
    body: (p) => mapWith(this.selectorLabelsTemplate({ component: p.component }), {
      'app.kubernetes.io/version': imageVersion(p.image),
      'app.kubernetes.io/part-of': 'airflow',
    }),
  });

  private readonly labelsTemplate = template<{ component: Val<string>; image: ImageSpec }>({
    name: 'airflow.labels',
    doc: 'The recommended labels of a component: its selector labels, the version of its image, who manages it.',
    kind: 'map',
    params: { component: 'string', image: 'map' },
    body: (p) => mapWith(this.selectorLabelsTemplate({ component: p.component }), {
      'app.kubernetes.io/version': imageVersion(p.image),
      'app.kubernetes.io/managed-by': this.managedBy,
      'app.kubernetes.io/part-of': 'airflow',
      'helm.sh/chart': this.chartLabel,
    }),
  });
}

/** Hex SHA-256 of a text (a checksum annotation). */
export function checksum(text: Val<string>): Val<string> {
  return sha256Of(text);
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

/** The image facts of a {@link ContainerImage}, as literals. */
export function imageSpecOf(image: ContainerImage): ImageSpec {
  return { registry: image.registry ?? '', repository: image.repository, tag: image.tag ?? '', digest: image.digest ?? '', pullPolicy: image.pullPolicy };
}
