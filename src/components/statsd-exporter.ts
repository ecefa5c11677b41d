import { Construct } from 'constructs';
import { ContainerImage } from '../config/image';
import { Val } from '../expr/core';
import { items, kubeObject, spread, yamlText } from '../expr/tree';
import { sha256 } from '../expr/ops';
import { NetworkPort } from '../security/network';
import { ImageIdentity } from '../security/pod-security';
import { imagePullPolicy, imageReference } from './image-spec';
import { AirflowRelease, ImageSpec } from './release';
import { resources, Workload, WorkloadOptions, WorkloadSettings } from './workload';

/** The UDP port Airflow sends StatsD metrics to. */
export const STATSD_INGEST_PORT = 9125;
/** The TCP port Prometheus scrapes (`/metrics`). */
export const STATSD_METRICS_PORT = 9102;
/** The prefix of every metric Airflow sends (`[metrics] statsd_prefix`). */
export const STATSD_PREFIX = 'airflow';

/** Options of {@link StatsdExporter} that {@link AirflowChart} exposes under its own prop. */
export interface StatsdExporterOptions extends WorkloadOptions {
  /**
   * Image.
   * @default DefaultImages.STATSD_EXPORTER
   */
  readonly image?: ContainerImage;
}

/** Props of {@link StatsdExporter}. Built by {@link AirflowChart}. */
export interface StatsdExporterProps {
  /** The release this component belongs to. */
  readonly release: AirflowRelease;
  readonly settings: WorkloadSettings;
  readonly affinityInput: Val<{ affinity: Record<string, unknown>; replicas: number | undefined }>;
  readonly image: ImageSpec;
  /** statsd_exporter mapping rules put before the chart's own (the first rule that matches a name wins). */
  readonly extraMappings: Val<unknown[]>;
}

/**
 * Airflow 3 metrics whose StatsD name carries ids: each pair is the metric's name and its legacy name, as Airflow's
 * metrics registry (metrics_template.yaml) gives them. Over plain StatsD Airflow sends both: the name alone (its
 * tags are lost) and the legacy name with the ids in it.
 * @see https://airflow.apache.org/docs/apache-airflow/stable/administration-and-deployment/logging-monitoring/metrics.html
 */
const METRICS_WITH_IDS: [string, string][] = [
  ['ti.start', 'ti.start.{dag_id}.{task_id}'],
  ['ti.finish', 'ti.finish.{dag_id}.{task_id}.{state}'],
  ['ti.scheduled', 'ti.scheduled.{queue}.{dag_id}.{task_id}'],
  ['ti.queued', 'ti.queued.{queue}.{dag_id}.{task_id}'],
  ['ti.running', 'ti.running.{queue}.{dag_id}.{task_id}'],
  ['ti.deferred', 'ti.deferred.{queue}.{dag_id}.{task_id}'],
  ['task.duration', 'dag.{dag_id}.{task_id}.duration'],
  ['task.queued_duration', 'dag.{dag_id}.{task_id}.queued_duration'],
  ['task.scheduled_duration', 'dag.{dag_id}.{task_id}.scheduled_duration'],
  ['dagrun.dependency-check', 'dagrun.dependency-check.{dag_id}'],
  ['dagrun.duration.success', 'dagrun.duration.success.{dag_id}'],
  ['dagrun.duration.failed', 'dagrun.duration.failed.{dag_id}'],
  ['dagrun.schedule_delay', 'dagrun.schedule_delay.{dag_id}'],
  ['dagrun.first_task_scheduling_delay', 'dagrun.{dag_id}.first_task_scheduling_delay'],
  ['dag_processing.last_duration', 'dag_processing.last_duration.{bundle_name}.{file_name}'],
  ['dag_processing.last_run.seconds_ago', 'dag_processing.last_run.seconds_ago.{file_name}'],
  ['executor.open_slots', 'executor.open_slots.{executor_class_name}'],
  ['executor.queued_tasks', 'executor.queued_tasks.{executor_class_name}'],
  ['executor.running_tasks', 'executor.running_tasks.{executor_class_name}'],
  ['pool.open_slots', 'pool.open_slots.{pool_name}'],
  ['pool.queued_slots', 'pool.queued_slots.{pool_name}'],
  ['pool.running_slots', 'pool.running_slots.{pool_name}'],
  ['pool.deferred_slots', 'pool.deferred_slots.{pool_name}'],
  ['pool.scheduled_slots', 'pool.scheduled_slots.{pool_name}'],
  ['pool.starving_tasks', 'pool.starving_tasks.{pool_name}'],
  ['triggers.running', 'triggers.running.{hostname}'],
  ['triggerer.capacity_left', 'triggerer.capacity_left.{hostname}'],
];

/**
 * The chart's mapping rules: each legacy name becomes one Prometheus metric named after the metric, with its ids as
 * labels (`airflow.pool.open_slots.default_pool` -> `airflow_pool_open_slots{pool_name="default_pool"}`); the bare
 * name, which lost its ids, is dropped (it would only repeat the last id's value and clash with the labelled
 * metric). Names no rule matches keep statsd_exporter's default (dots become `_`). Keys are in sorted order, as the
 * constructs print YAML.
 */
export const DEFAULT_STATSD_MAPPINGS: Record<string, unknown>[] = METRICS_WITH_IDS.flatMap(([metric, legacy]) => {
  const name = `${STATSD_PREFIX}_${metric.replace(/[.-]/g, '_')}`;
  const ids = [...legacy.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
  return [
    // The exact name first: statsd_exporter's glob matcher misses it behind a longer pattern with the same start.
    { action: 'drop', match: `${STATSD_PREFIX}.${metric}`, name: 'dropped' },
    { labels: Object.fromEntries(ids.map((id, i) => [id, `$${i + 1}`]).sort(([x], [y]) => x.localeCompare(y))), match: `${STATSD_PREFIX}.${legacy.replace(/\{\w+\}/g, '*')}`, name },
  ];
});

/**
 * The Prometheus statsd_exporter: Airflow's components send StatsD over UDP to it, Prometheus scrapes `/metrics`.
 * It runs as `nobody` with a read-only root and writes nothing; only the release's Airflow pods may send to it and
 * only the allowed scrapers may reach its metrics port.
 */
export class StatsdExporter extends Construct {
  /** The UDP port metrics are sent to; `STATSD_INGEST_PORT` in TypeScript. */
  public static readonly INGEST_PORT = STATSD_INGEST_PORT;
  /** The TCP port Prometheus scrapes; `STATSD_METRICS_PORT` in TypeScript. */
  public static readonly METRICS_PORT = STATSD_METRICS_PORT;
  /** The exporter's Deployment, Service and network connections. */
  public readonly workload: Workload;

  /** @internal Built by the chart (the constructor is private so the jsii languages see no initializer). */
  public static _create(scope: Construct, id: string, props: StatsdExporterProps): StatsdExporter {
    return new StatsdExporter(scope, id, props);
  }

  private constructor(scope: Construct, id: string, props: StatsdExporterProps) {
    super(scope, id);
    const r = props.release;
    const name = r.resourceName('statsd');
    // The user's rules first: statsd_exporter takes the first rule that matches, so theirs win over the chart's.
    const text = yamlText('airflow.statsdMappings', 'statsd_exporter\'s mapping rules: metrics.extraMappings, then the chart\'s.',
      { mappings: items(spread(props.extraMappings), ...DEFAULT_STATSD_MAPPINGS) }, 'statsd');
    // The same bytes as the chart's `include`, which has no final newline (the literal text is YAML with one).
    const mappings = typeof text === 'string' ? text.replace(/\n$/, '') : text;
    kubeObject(this, 'Config', {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name, labels: r.labels('statsd', props.image) },
      data: { 'mappings.yml': mappings },
    });
    const probe = (path: string, period: number, failures: number) => ({
      httpGet: { path, port: 'metrics' }, periodSeconds: period, timeoutSeconds: 5, failureThreshold: failures,
    });
    this.workload = Workload._create(this, 'Workload', {
      component: 'statsd',
      release: r,
      settings: props.settings,
      affinityInput: props.affinityInput,
      image: props.image,
      kind: 'Deployment',
      identity: ImageIdentity.STATSD_EXPORTER,
      kubernetesApiAccess: false,
      containers: [{
        name: 'statsd-exporter',
        image: imageReference(props.image),
        imagePullPolicy: imagePullPolicy(props.image),
        args: [
          '--statsd.mapping-config=/etc/statsd-exporter/mappings.yml',
          `--statsd.listen-udp=:${STATSD_INGEST_PORT}`,
          // Airflow sends UDP only: no TCP listener.
          '--statsd.listen-tcp=',
          `--web.listen-address=:${STATSD_METRICS_PORT}`,
        ],
        ports: [
          { name: 'statsd-ingest', containerPort: STATSD_INGEST_PORT, protocol: 'UDP' },
          { name: 'metrics', containerPort: STATSD_METRICS_PORT, protocol: 'TCP' },
        ],
        livenessProbe: probe('/-/healthy', 15, 5),
        readinessProbe: probe('/-/ready', 10, 3),
        volumeMounts: [{ name: 'config', mountPath: '/etc/statsd-exporter', readOnly: true }],
        resources: { custom: props.settings.resources, defaults: resources(50, 64, 256) },
        writablePaths: [],
      }],
      volumes: [{ name: 'config', configMap: { name } }],
      podAnnotations: { 'checksum/config': sha256(mappings) },
      servicePorts: [
        { name: 'statsd-ingest', port: STATSD_INGEST_PORT, targetPort: 'statsd-ingest', protocol: 'UDP' },
        { name: 'metrics', port: STATSD_METRICS_PORT, targetPort: 'metrics', protocol: 'TCP' },
      ],
      networkPort: NetworkPort.udp(STATSD_INGEST_PORT),
    });
  }
}
