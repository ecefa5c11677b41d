/**
 * Prometheus metrics end to end, with real software on loopback: the statsd_exporter the chart deploys (built from
 * source at the image's tag by .ci/tools/statsd-exporter.sh), started with the Deployment's arguments and the
 * mapping file of the chart's ConfigMap, and an Airflow 3.3.2 scheduler started with the chart's airflow.cfg, whose
 * [metrics] section makes it send StatsD to the exporter. Only the exporter's address is changed: the Service name
 * (`airflow-statsd`) resolves in the cluster, here it is 127.0.0.1 on the same ports.
 */
import { execFileSync, spawnSync } from 'child_process';
import { randomBytes } from 'crypto';
import { mkdirSync, writeFileSync } from 'fs';
import { get } from 'http';
import { join } from 'path';
import { Testing } from 'cdk8s';
import { AirflowChart, Executor, MetadataDatabase, SecretKeyRef, SslMode } from '../../src';
import { authStack, freePort, Stack, waitFor } from './stack';

const stack = new Stack(authStack());
const EXPORTER = execFileSync('bash', [join(__dirname, '..', '..', '.ci', 'tools', 'statsd-exporter.sh')], { encoding: 'utf-8' }).trim();
let manifests: any[] = [];
let metricsUrl = '';
let env: Record<string, string> = {};
let home = '';

const find = (kind: string, name: string) => manifests.find((m) => m.kind === kind && m.metadata.name === name);

/** The exporter's /metrics page (empty when it does not answer). */
async function scrape(): Promise<string> {
  return new Promise((resolve) => {
    get(metricsUrl, { agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf-8');
      res.on('data', (c) => { text += c; });
      res.on('end', () => resolve(res.statusCode === 200 ? text : ''));
    }).on('error', () => resolve(''));
  });
}

beforeAll(async () => {
  const pgPort = await freePort();
  await stack.startPostgres(pgPort);
  manifests = Testing.synth(new AirflowChart(Testing.app(), 'airflow', {
    namespace: 'airflow',
    executor: Executor.LOCAL,
    database: MetadataDatabase.external({ host: '127.0.0.1', port: pgPort, password: SecretKeyRef.fromSecret('db', 'password'), sslMode: SslMode.DISABLE }),
    metrics: { enabled: true },
  })) as any[];

  // The exporter exactly as the Deployment runs it, listening on loopback only.
  const dir = stack.path('statsd');
  mkdirSync(dir);
  writeFileSync(join(dir, 'mappings.yml'), find('ConfigMap', 'airflow-statsd').data['mappings.yml']);
  const c = find('Deployment', 'airflow-statsd').spec.template.spec.containers[0];
  const args = (c.args as string[]).map((a) => a
    .replace('=/etc/statsd-exporter/', `=${dir}/`)
    .replace(/^(--statsd\.listen-udp|--web\.listen-address)=:/, '$1=127.0.0.1:'));
  const web = args.find((a) => a.startsWith('--web.listen-address='))!.split('=')[1];
  metricsUrl = `http://${web}/metrics`;
  const log = stack.start('statsd-exporter', EXPORTER, args);
  await waitFor('statsd_exporter', 60, async () => (await scrape()) !== '', log);

  home = stack.path('airflow');
  mkdirSync(join(home, 'dags'), { recursive: true });
  writeFileSync(join(home, 'airflow.cfg'), find('ConfigMap', 'airflow-config').data['airflow.cfg']);
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('AIRFLOW')) env[k] = v;
  env = {
    ...env,
    AIRFLOW_HOME: home,
    AIRFLOW__CORE__DAGS_FOLDER: join(home, 'dags'),
    AIRFLOW__DATABASE__SQL_ALCHEMY_CONN: `postgresql+psycopg2://airflow@127.0.0.1:${pgPort}/airflow?sslmode=disable`,
    AIRFLOW__CORE__FERNET_KEY: randomBytes(32).toString('base64').replace(/\+/g, '-').replace(/\//g, '_'),
    AIRFLOW__API_AUTH__JWT_SECRET: randomBytes(32).toString('hex'),
    AIRFLOW__API__SECRET_KEY: randomBytes(32).toString('hex'),
    // The Service name resolves in the cluster only; the port and everything else come from airflow.cfg.
    AIRFLOW__METRICS__STATSD_HOST: '127.0.0.1',
    PYTHONDONTWRITEBYTECODE: '1',
  };
  const migrate = spawnSync(stack.tools.airflow, ['db', 'migrate'], { env, encoding: 'utf-8', timeout: 600_000 });
  if (migrate.status !== 0) throw new Error(`airflow db migrate failed:\n${`${migrate.stdout}${migrate.stderr}`.slice(-3000)}`);
}, 15 * 60_000);

afterAll(async () => {
  await stack.stop();
}, 60_000);

test('airflow.cfg turns StatsD on towards the exporter Service', () => {
  expect(find('ConfigMap', 'airflow-config').data['airflow.cfg'])
    .toContain('[metrics]\nstatsd_host = airflow-statsd\nstatsd_on = True\nstatsd_port = 9125\nstatsd_prefix = airflow\n');
  expect(find('Service', 'airflow-statsd').spec.ports.map((p: any) => `${p.port}/${p.protocol}`)).toEqual(['9125/UDP', '9102/TCP']);
});

test('a real scheduler\'s metrics reach Prometheus with the chart\'s names and labels', async () => {
  const c = find('Deployment', 'airflow-scheduler').spec.template.spec.containers[0];
  expect(c.args).toEqual(['airflow', 'scheduler']);
  const log = stack.start('scheduler', stack.tools.airflow, c.args.slice(1), { env });
  let page = '';
  const wanted = [
    /^airflow_scheduler_heartbeat \d+/m,
    /^airflow_pool_open_slots\{pool_name="default_pool"\} \d+/m,
    /^airflow_executor_open_slots\{executor_class_name="LocalExecutor"\} \d+/m,
  ];
  // Polled with a generous deadline: the scheduler's first loop and pool metrics take seconds on a loaded machine.
  await waitFor('the scheduler\'s metrics on /metrics', 300, async () => {
    page = await scrape();
    return wanted.every((w) => w.test(page));
  }, log);
  for (const w of wanted) expect(page).toMatch(w);
  // The id-less twins Airflow also sends are dropped, not exported beside the labelled metric.
  expect(page).not.toMatch(/^airflow_pool_open_slots \d/m);
  expect(page).not.toMatch(/^airflow_executor_open_slots \d/m);
}, 10 * 60_000);
