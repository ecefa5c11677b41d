/**
 * The metadata-database password reaches PostgreSQL whatever characters it holds (issue 12, fix 7): Airflow 3.3.2's
 * `airflow db migrate` and `airflow db check`, run with exactly the environment the constructs give the migrations
 * Job, connect to a real PostgreSQL that checks passwords (scram-sha-256) with a password full of the characters a
 * URL cannot hold unescaped. The URL holds no password: libpq and asyncpg take it from PGPASSWORD.
 */
import { spawnSync } from 'child_process';
import { mkdirSync, writeFileSync } from 'fs';
import { join } from 'path';
import { Testing } from 'cdk8s';
import { AirflowChart, MetadataDatabase, SecretKeyRef, SslMode } from '../../src';
import { authStack, containerEnv, freePort, Stack } from './stack';

const PASSWORD = 'p@ss/w:rd%2F#frag?x=1&y\'"$HOME`x` 100%';
const stack = new Stack(authStack());
let port = 0;
let job: any;
let home = '';

beforeAll(async () => {
  port = await freePort();
  await stack.startPostgres(port, PASSWORD);
  const manifests = Testing.synth(new AirflowChart(Testing.app(), 'airflow', {
    namespace: 'airflow',
    database: MetadataDatabase.external({ host: '127.0.0.1', port, password: SecretKeyRef.fromSecret('db', 'password'), sslMode: SslMode.DISABLE }),
  })) as any[];
  job = manifests.find((m) => m.kind === 'Job' && m.metadata.name.startsWith('airflow-migrate-'));
  home = stack.path('airflow');
  mkdirSync(home, { recursive: true });
  writeFileSync(join(home, 'airflow.cfg'), manifests.find((m) => m.kind === 'ConfigMap' && m.metadata.name === 'airflow-config').data['airflow.cfg']);
}, 120_000);

afterAll(async () => {
  await stack.stop();
}, 60_000);

/** Runs an Airflow CLI command with the migrations Job's environment (the database password as `password`). */
function airflow(args: string[], password: string): { status: number | null; output: string } {
  const container = job.spec.template.spec.containers[0];
  const base: Record<string, string> = { PATH: process.env.PATH!, HOME: home, LANG: 'C.UTF-8' };
  const env = { ...base, ...containerEnv(container, { 'db/password': password, 'airflow-fernet-key/fernet-key': 'wG8yNZsdeTq3W9A6tJOoe0AE8PQmH7h5g8hy6lXZ1bE=' }, { AIRFLOW_HOME: home }) };
  const r = spawnSync(stack.tools.airflow, args, { env, encoding: 'utf-8', timeout: 300_000 });
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

test('the URL holds no password; PGPASSWORD comes from the Secret', () => {
  const env = job.spec.template.spec.containers[0].env;
  const url = env.find((e: any) => e.name === 'AIRFLOW__DATABASE__SQL_ALCHEMY_CONN').value;
  expect(url).toBe(`postgresql+psycopg2://airflow@127.0.0.1:${port}/airflow?sslmode=disable`);
  expect(env.find((e: any) => e.name === 'PGPASSWORD').valueFrom.secretKeyRef).toEqual({ name: 'db', key: 'password' });
});

test('airflow db migrate and db check connect with a password full of URL delimiters', () => {
  expect(job.spec.template.spec.containers[0].args).toEqual(['airflow', 'db', 'migrate']);
  const migrate = airflow(['db', 'migrate'], PASSWORD);
  expect({ status: migrate.status, tail: migrate.status === 0 ? '' : migrate.output.slice(-3000) }).toEqual({ status: 0, tail: '' });
  const check = airflow(['db', 'check'], PASSWORD);
  expect({ status: check.status, tail: check.status === 0 ? '' : check.output.slice(-3000) }).toEqual({ status: 0, tail: '' });
}, 600_000);

test('the server really checks the password: a wrong one is refused', () => {
  const check = airflow(['db', 'check'], `${PASSWORD}-wrong`);
  expect(check.status).not.toBe(0);
  expect(check.output).toMatch(/password authentication failed/);
}, 300_000);
