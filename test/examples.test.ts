import { Testing } from 'cdk8s';
import { parse } from 'yaml';
import { EXAMPLES } from '../examples';
import { find, findJob, synth } from './util';

describe('examples', () => {
  test.each(Object.keys(EXAMPLES))('%s matches its snapshot', (name) => {
    // GIVEN / WHEN
    const manifests = synth(EXAMPLES[name](Testing.app()));
    // THEN
    expect(manifests).toMatchSnapshot();
  });

  test('default: Celery with embedded Postgres and Redis, 2 api-servers, 2 schedulers, 2 workers', () => {
    const m = synth(EXAMPLES.default(Testing.app()));
    expect(find(m, 'Deployment', 'airflow-api-server').spec.replicas).toBe(2);
    expect(find(m, 'Deployment', 'airflow-scheduler').spec.replicas).toBe(2);
    expect(find(m, 'Deployment', 'airflow-worker').spec.replicas).toBe(2);
    expect(find(m, 'StatefulSet', 'airflow-postgres').spec.replicas).toBe(1);
    expect(find(m, 'Deployment', 'airflow-redis').spec.replicas).toBe(1);
    expect(find(m, 'Service', 'airflow-api-server').spec.type).toBe('ClusterIP');
    expect(m.filter((x) => x.kind === 'Service').every((s) => ['ClusterIP', undefined].includes(s.spec.type))).toBe(true);
    expect(m.some((x) => x.kind === 'Ingress')).toBe(false);
    const cfg = find(m, 'ConfigMap', 'airflow-config').data['airflow.cfg'];
    expect(cfg).toContain('executor = CeleryExecutor');
    expect(cfg).toContain('execution_api_server_url = http://airflow-api-server:8080/execution/');
    // All objects in the chart namespace; Secrets are declared empty (their values are generated in the cluster).
    expect(m.every((x) => x.metadata.namespace === 'airflow')).toBe(true);
    expect(m.filter((x) => x.kind === 'Secret').every((x) => x.type === 'Opaque' && x.data === undefined && x.stringData === undefined)).toBe(true);
    expect(m.filter((x) => x.kind === 'Secret').map((x) => x.metadata.name)).toEqual(['airflow-fernet-key', 'airflow-jwt-secret', 'airflow-api-secret-key', 'airflow-postgres', 'airflow-redis', 'airflow-admin']);
    expect(findJob(m, 'airflow-migrate').spec.template.spec.containers[0].args).toEqual(['airflow', 'db', 'migrate']);
  });

  test('minimal: LocalExecutor, no workers, no Redis, no Flower', () => {
    const m = synth(EXAMPLES.minimal(Testing.app()));
    const names = m.map((x) => `${x.kind}/${x.metadata.name}`);
    expect(names).not.toContain('Deployment/airflow-worker');
    expect(names).not.toContain('Deployment/airflow-redis');
    expect(names).not.toContain('Deployment/airflow-flower');
    expect(find(m, 'Deployment', 'airflow-api-server').spec.replicas).toBe(1);
    // One replica: no PodDisruptionBudget would ever allow an eviction, so none is made.
    expect(m.filter((x) => x.kind === 'PodDisruptionBudget')).toHaveLength(0);
    expect(find(m, 'ConfigMap', 'airflow-config').data['airflow.cfg']).toContain('executor = LocalExecutor');
    const scheduler = find(m, 'Deployment', 'airflow-scheduler').spec.template.spec.containers[0];
    expect(scheduler.ports.map((p: any) => p.containerPort)).toEqual([8974, 8793]);
    expect(scheduler.env.some((e: any) => e.name === 'AIRFLOW__CELERY__BROKER_URL')).toBe(false);
  });

  test('production: external TLS Postgres and Redis, 3 api-servers, cert-manager ingress, Jinja kept', () => {
    const m = synth(EXAMPLES.production(Testing.app()));
    expect(m.some((x) => x.kind === 'StatefulSet')).toBe(false);
    expect(m.some((x) => x.metadata.name === 'airflow-redis')).toBe(false);
    expect(find(m, 'Deployment', 'airflow-api-server').spec.replicas).toBe(3);
    const api = find(m, 'Deployment', 'airflow-api-server').spec.template.spec;
    const conn = api.containers[0].env.find((e: any) => e.name === 'AIRFLOW__DATABASE__SQL_ALCHEMY_CONN').value;
    // The password reaches libpq as PGPASSWORD, never inside the URL (any character works, nothing to escape).
    expect(conn).toBe('postgresql+psycopg2://airflow@airflow-db.postgres.example.com:5432/airflow'
      + '?sslmode=verify-full&sslrootcert=/opt/airflow/secrets/database-ca/ca.crt');
    expect(api.containers[0].env.find((e: any) => e.name === 'PGPASSWORD').valueFrom.secretKeyRef).toEqual({ name: 'airflow-db', key: 'password' });
    expect(api.volumes).toContainEqual({ name: 'database-ca', secret: { secretName: 'airflow-db-ca', items: [{ key: 'ca.crt', path: 'ca.crt' }] } });
    const worker = find(m, 'Deployment', 'airflow-worker').spec.template.spec.containers[0];
    const brokerUrl = worker.env.find((e: any) => e.name === 'AIRFLOW__CELERY__BROKER_URL').value;
    expect(brokerUrl).toBe('rediss://:$(AIRFLOW_REDIS_PASSWORD)@airflow-redis.redis.example.com:6380/0'
      + '?ssl_cert_reqs=required&ssl_ca_certs=/opt/airflow/secrets/redis-ca/ca.crt');
    const ingress = find(m, 'Ingress', 'airflow-api-server');
    expect(ingress.metadata.annotations).toEqual({
      'cert-manager.io/cluster-issuer': 'letsencrypt-prod',
      'nginx.ingress.kubernetes.io/force-ssl-redirect': 'true',
    });
    expect(ingress.spec.tls).toEqual([{ hosts: ['airflow.example.com'], secretName: 'airflow-tls' }]);
    const cfg = find(m, 'ConfigMap', 'airflow-config').data['airflow.cfg'];
    expect(cfg).toContain('log_filename_template = dag_id={{ ti.dag_id }}/run_id={{ ti.run_id }}/task_id={{ ti.task_id }}/attempt={{ try_number|default(ti.try_number) }}.log');
    expect(cfg).toContain('base_url = https://airflow.example.com');
    expect(parse(JSON.stringify(m)).length).toBe(m.length);
  });
});
