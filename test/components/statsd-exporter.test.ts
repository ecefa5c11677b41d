import { parse } from 'yaml';
import { ContainerImage, Executor } from '../../src';
import { DEFAULT_STATSD_MAPPINGS } from '../../src/components/statsd-exporter';
import { allowed, Endpoint } from '../network-eval';
import { errorOf, find, Manifest, synthAirflow } from '../util';

const NS = { 'kubernetes.io/metadata.name': 'airflow' };
const pod = (component: string, ip: string, namespace = 'airflow', namespaceLabels: Record<string, string> = NS, extra: Record<string, string> = {}): Endpoint => ({
  name: component, namespace, namespaceLabels, ip,
  labels: { 'app.kubernetes.io/name': 'airflow', 'app.kubernetes.io/instance': 'airflow', 'app.kubernetes.io/component': component, ...extra },
});
const policies = (m: Manifest[]) => m.filter((o) => o.kind === 'NetworkPolicy');

describe('StatsdExporter', () => {
  test('is absent by default and Airflow sends no metrics', () => {
    const m = synthAirflow();
    expect(m.find((o) => o.metadata.name === 'airflow-statsd')).toBeUndefined();
    expect(find(m, 'ConfigMap', 'airflow-config').data['airflow.cfg']).not.toContain('[metrics]');
  });

  test('GIVEN metrics.enabled WHEN synthesized THEN Airflow sends StatsD to the exporter Service', () => {
    const m = synthAirflow({ metrics: { enabled: true } });
    expect(find(m, 'ConfigMap', 'airflow-config').data['airflow.cfg'])
      .toContain('[metrics]\nstatsd_host = airflow-statsd\nstatsd_on = True\nstatsd_port = 9125\nstatsd_prefix = airflow\n');
    expect(find(m, 'Service', 'airflow-statsd').spec.ports).toEqual([
      { name: 'statsd-ingest', port: 9125, targetPort: 'statsd-ingest', protocol: 'UDP' },
      { name: 'metrics', port: 9102, targetPort: 'metrics', protocol: 'TCP' },
    ]);
  });

  test('runs the pinned quay.io image as nobody with a read-only root, probed on its health paths', () => {
    const d = find(synthAirflow({ metrics: { enabled: true } }), 'Deployment', 'airflow-statsd');
    const spec = d.spec.template.spec;
    const c = spec.containers[0];
    expect(d.spec.replicas).toBe(1);
    expect(c.image).toBe('quay.io/prometheus/statsd-exporter:v0.28.0');
    expect(spec.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 65534, runAsGroup: 65534 });
    expect(c.securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
    expect(c.livenessProbe.httpGet).toEqual({ path: '/-/healthy', port: 'metrics' });
    expect(c.readinessProbe.httpGet).toEqual({ path: '/-/ready', port: 'metrics' });
    expect(c.args).toContain('--statsd.mapping-config=/etc/statsd-exporter/mappings.yml');
    expect(spec.automountServiceAccountToken).toBe(false);
  });

  test('the mapping config holds extraMappings, then the chart\'s rules; a change rolls the pod', () => {
    const extra = { match: 'airflow.my_plugin.*', name: 'airflow_my_plugin', labels: { id: '$1' } };
    const m = synthAirflow({ metrics: { enabled: true, extraMappings: [extra] } });
    const mappings = parse(find(m, 'ConfigMap', 'airflow-statsd').data['mappings.yml']).mappings;
    expect(mappings).toEqual([extra, ...DEFAULT_STATSD_MAPPINGS]);
    expect(mappings).toContainEqual({ labels: { pool_name: '$1' }, match: 'airflow.pool.open_slots.*', name: 'airflow_pool_open_slots' });
    expect(mappings).toContainEqual({ action: 'drop', match: 'airflow.pool.open_slots', name: 'dropped' });
    expect(mappings).toContainEqual({ labels: { dag_id: '$1', task_id: '$2' }, match: 'airflow.dag.*.*.duration', name: 'airflow_task_duration' });
    const checksum = (x: Manifest[]) => find(x, 'Deployment', 'airflow-statsd').spec.template.metadata.annotations['checksum/config'];
    expect(checksum(m)).not.toBe(checksum(synthAirflow({ metrics: { enabled: true } })));
  });

  test('a custom image is used as given', () => {
    const d = find(synthAirflow({ metrics: { enabled: true, image: ContainerImage.of('prom/statsd-exporter', 'v0.28.0') } }), 'Deployment', 'airflow-statsd');
    expect(d.spec.template.spec.containers[0].image).toBe('prom/statsd-exporter:v0.28.0');
  });

  test.each([
    ['Celery', Executor.CELERY, 'worker'],
    ['Kubernetes', Executor.KUBERNETES, 'task'],
  ])('every Airflow component may send UDP 9125 (%s executor); nothing else reaches it', (_, executor, runner) => {
    const p = policies(synthAirflow({ executor, metrics: { enabled: true } }));
    const statsd = pod('statsd', '10.0.0.9');
    for (const c of ['api-server', 'scheduler', 'dag-processor', 'triggerer', runner]) {
      expect(allowed(p, pod(c, '10.0.0.1'), statsd, 9125, 'UDP')).toBe(true);
      expect(allowed(p, pod(c, '10.0.0.1'), statsd, 9102)).toBe(false);
    }
    for (const c of ['postgres', 'redis']) expect(allowed(p, pod(c, '10.0.0.2'), statsd, 9125, 'UDP')).toBe(false);
    expect(allowed(p, pod('scheduler', '10.0.0.1'), statsd, 9125, 'TCP')).toBe(false);
  });

  test('only the scrapers of the allow-list reach the metrics port (default: the monitoring namespace)', () => {
    const statsd = pod('statsd', '10.0.0.9');
    const prometheus = (ns: string, labels: Record<string, string> = {}) =>
      ({ name: 'prometheus', namespace: ns, namespaceLabels: { 'kubernetes.io/metadata.name': ns }, labels, ip: '10.1.0.1' });
    const byDefault = policies(synthAirflow({ metrics: { enabled: true } }));
    expect(allowed(byDefault, prometheus('monitoring'), statsd, 9102)).toBe(true);
    expect(allowed(byDefault, prometheus('monitoring'), statsd, 9125, 'UDP')).toBe(false);
    expect(allowed(byDefault, prometheus('default'), statsd, 9102)).toBe(false);
    const own = policies(synthAirflow({ metrics: { enabled: true, scrapeNamespaceLabels: { 'kubernetes.io/metadata.name': 'obs' }, scrapePodLabels: { app: 'prometheus' } } }));
    expect(allowed(own, prometheus('obs', { app: 'prometheus' }), statsd, 9102)).toBe(true);
    expect(allowed(own, prometheus('obs', { app: 'grafana' }), statsd, 9102)).toBe(false);
    expect(allowed(own, prometheus('monitoring'), statsd, 9102)).toBe(false);
  });

  test('throws if an extra mapping has no match', () => {
    expect(errorOf({ metrics: { enabled: true, extraMappings: [{ name: 'airflow_x' }] } }))
      .toMatch(/metrics\.extraMappings\[0\]\.match must be a non-empty statsd name pattern, got undefined/);
  });

  test('throws if an extra mapping names no valid Prometheus metric', () => {
    expect(errorOf({ metrics: { enabled: true, extraMappings: [{ match: 'airflow.x.*', name: 'my-metric' }] } }))
      .toMatch(/metrics\.extraMappings\[0\]\.name must be a Prometheus metric name \(\[a-zA-Z_:\]\[a-zA-Z0-9_:\]\*\), got "my-metric"/);
  });
});
