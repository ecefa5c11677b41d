import { AIRFLOW_VERSION, Executor, IngressTls } from '../../src';
import { OWNED_KEYS, SECRET_KEYS } from '../../src/config/airflow-config';
import { AIRFLOW_REFERENCE, closestName, referenceOption, retiredOption, splitPath } from '../../src/config/config-reference';
import { find, synthAirflow } from '../util';

// The offline description of Airflow's configuration (src/config/airflow-reference.json) and what the library builds
// on it. test/integration/airflow-reference.test.ts proves the file is what the pinned packages say.

const options = Object.entries(AIRFLOW_REFERENCE.sections).flatMap(([section, s]) => Object.entries(s.options).map(([key, o]) => ({ section, key, o })));

describe('Airflow configuration reference', () => {
  test('describes the Airflow the image runs, its installed providers and cncf.kubernetes', () => {
    expect(AIRFLOW_REFERENCE.airflow).toBe(AIRFLOW_VERSION);
    expect(AIRFLOW_REFERENCE.packages['apache-airflow']).toBe(AIRFLOW_VERSION);
    expect(Object.keys(AIRFLOW_REFERENCE.packages)).toEqual(expect.arrayContaining([
      'apache-airflow-providers-celery', 'apache-airflow-providers-fab', 'apache-airflow-providers-cncf-kubernetes', 'apache-airflow-providers-smtp',
    ]));
    // Sections of each source, and the counts the report states.
    expect(AIRFLOW_REFERENCE.sections.core.package).toBe('apache-airflow');
    expect(AIRFLOW_REFERENCE.sections.celery.package).toBe('apache-airflow-providers-celery');
    expect(AIRFLOW_REFERENCE.sections.kubernetes_executor.package).toBe('apache-airflow-providers-cncf-kubernetes');
    expect(options.length).toBeGreaterThan(400);
    expect(AIRFLOW_REFERENCE.sections.webserver).toBeUndefined();
  });

  test('every key has an Airflow type, and sensitive keys exist', () => {
    for (const { section, key, o } of options) {
      expect({ path: `${section}.${key}`, type: ['string', 'integer', 'float', 'boolean'].includes(o.type) }).toEqual({ path: `${section}.${key}`, type: true });
    }
    expect(options.filter(({ o }) => o.sensitive).map(({ section, key }) => `${section}.${key}`)).toEqual(expect.arrayContaining([
      'core.fernet_key', 'database.sql_alchemy_conn', 'api.secret_key', 'api_auth.jwt_secret', 'celery.broker_url', 'sentry.sentry_dsn',
    ]));
  });

  test('every renamed name points at a key the reference describes, and no retired name is described', () => {
    for (const [path, r] of Object.entries(AIRFLOW_REFERENCE.retired)) {
      const [section, key] = splitPath(path);
      expect({ path, described: referenceOption(section, key) !== undefined }).toEqual({ path, described: false });
      if (r.replacement) {
        const [s, k] = splitPath(r.replacement);
        expect({ path, replacement: r.replacement, described: referenceOption(s, k) !== undefined }).toEqual({ path, replacement: r.replacement, described: true });
      }
    }
    expect(retiredOption('webserver', 'web_server_port')).toEqual({ status: 'deprecated', since: '3.0', replacement: 'api.port' });
    expect(retiredOption('scheduler', 'min_file_process_interval')).toEqual({ status: 'removed', replacement: 'dag_processor.min_file_process_interval' });
  });

  test('every setting the chart provides or owns is one Airflow describes (else its refusal could never fire)', () => {
    for (const path of [...Object.keys(SECRET_KEYS), ...Object.keys(OWNED_KEYS)]) {
      const [section, key] = splitPath(path);
      expect({ path, described: referenceOption(section, key) !== undefined }).toEqual({ path, described: true });
    }
  });

  test.each([Executor.CELERY, Executor.LOCAL, Executor.KUBERNETES])('the chart\'s own airflow.cfg with %s holds only described, current settings', (executor) => {
    const ingress = { host: 'airflow.example.com', tls: IngressTls.fromSecret('tls') };
    const cfg: string = find(synthAirflow({ executor, ingress }), 'ConfigMap', 'airflow-config').data['airflow.cfg'];
    let section = '';
    const seen: string[] = [];
    for (const line of cfg.split('\n')) {
      const header = /^\[(.+)\]$/.exec(line);
      if (header) section = header[1];
      const setting = /^([a-z0-9_]+) = /.exec(line);
      if (!setting) continue;
      const option = referenceOption(section, setting[1]);
      seen.push(`${section}.${setting[1]}`);
      expect({ path: `${section}.${setting[1]}`, described: option !== undefined, deprecated: option?.deprecated })
        .toEqual({ path: `${section}.${setting[1]}`, described: true, deprecated: undefined });
    }
    expect(seen).toEqual(expect.arrayContaining(['core.executor', 'api.base_url']));
    if (executor === Executor.KUBERNETES) expect(seen).toContain('kubernetes_executor.pod_template_file');
  });
});

describe('closestName', () => {
  test.each([
    ['paralellism', ['parallelism', 'max_active_runs_per_dag'], 'parallelism'],
    ['schedular', ['scheduler', 'sensors', 'secrets'], 'scheduler'],
    ['core', ['core', 'api'], 'core'],
    ['aws', ['api', 'smtp'], undefined],
    ['my_plugin', ['metrics', 'logging', 'lineage'], undefined],
    ['worker_concurency', ['worker_concurrency', 'worker_prefetch_multiplier'], 'worker_concurrency'],
  ])('suggests for %s among %j: %s', (name, candidates, expected) => {
    expect(closestName(name, candidates)).toBe(expected);
  });
});
