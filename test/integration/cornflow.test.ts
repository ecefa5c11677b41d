/**
 * Cornflow next to Airflow against real software: PostgreSQL (Airflow's and Cornflow's databases), the Airflow 3.3.2
 * api-server, scheduler (LocalExecutor) and dag-processor, and Cornflow 1.3.9 under gunicorn, each started with the
 * command and environment the constructs render for its container; then a second release with CeleryExecutor: the
 * same plus Redis (Debian's redis-server) and one Celery worker. Tools: .ci/tools/auth-stack.sh (Airflow, slapd,
 * PostgreSQL) and .ci/tools/cornflow-stack.sh (Cornflow's venv, cornflow-client for the Airflow processes,
 * redis-server).
 *
 * How a rendered container becomes a local process:
 * - env: secretKeyRef from the test's generated Secret values, `$(VAR)` expanded as the kubelet does (containerEnv);
 * - Service hostnames (`<release>-postgres:5432`, `<release>-api-server:8080`, `<release>-cornflow:5000`,
 *   `<release>-redis:6379`, with or without `.<ns>.svc.cluster.local`) are rewritten to 127.0.0.1:<free port> in env values and airflow.cfg: only the
 *   host:port of URLs changes, nothing else;
 * - `/opt/airflow` (the pod's AIRFLOW_HOME) becomes a scratch directory; `python`/`airflow`/`gunicorn`/`psql` come
 *   from the venvs (their bin directory first on PATH); gunicorn's bind address becomes 127.0.0.1:<port>;
 * - the Celery worker gets its own scratch AIRFLOW_HOME (the image's dags/ and the same airflow.cfg), as its pod has
 *   its own filesystem: the task logs it writes are found there and nowhere else;
 * - Redis: the rendered `sh -c` script and redis.conf (ConfigMap) with /etc/redis, /run/redis and /data in the
 *   scratch directory, `bind 127.0.0.1` and the free port instead of `bind 0.0.0.0` / `port 6379`.
 */
import { spawnSync } from 'child_process';
import { randomBytes } from 'crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'fs';
import { dirname, join } from 'path';
import { Testing } from 'cdk8s';
import { AirflowChart, Cornflow, CornflowAuth, Executor, LdapDirectory, SecretKeyRef } from '../../src';
import { authStack, containerEnv, freePort, httpJson, Stack, waitFor } from './stack';

const RELEASE = 'airflow';
const NS = 'airflow';

interface CornflowTools { python: string; gunicorn: string; clientPath: string; redisServer: string; redisCli: string }

function cornflowStack(): CornflowTools {
  const script = join(__dirname, '..', '..', '.ci', 'tools', 'cornflow-stack.sh');
  const r = spawnSync('bash', [script], { encoding: 'utf-8', maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`'bash .ci/tools/cornflow-stack.sh' failed:\n${String(r.stderr).split('\n').slice(-25).join('\n')}`);
  const kv = Object.fromEntries(r.stdout.trim().split('\n').map((l) => l.split(/=(.*)/s).slice(0, 2)));
  return {
    python: kv.CORNFLOW_PYTHON, gunicorn: kv.CORNFLOW_GUNICORN, clientPath: kv.CORNFLOW_CLIENT_PATH,
    redisServer: kv.REDIS_SERVER, redisCli: kv.REDIS_CLI,
  };
}

const hex = (n: number) => randomBytes(n).toString('hex');
/** The values the secrets Job would generate in the cluster (never Cornflow's documented defaults). */
const SECRETS: Record<string, string> = {
  'airflow-postgres/password': `pg-${hex(8)}`,
  'airflow-fernet-key/fernet-key': randomBytes(32).toString('base64').replace(/\+/g, '-').replace(/\//g, '_'),
  'airflow-jwt-secret/jwt-secret': hex(32),
  'airflow-api-secret-key/api-secret-key': hex(32),
  'airflow-admin/username': 'admin',
  'airflow-admin/password': hex(12),
  'airflow-cornflow/secret-key': hex(32),
  'airflow-cornflow/secret-bi-key': hex(32),
  'airflow-cornflow/admin-password': `Adm-${hex(10)}`,
  'airflow-cornflow/service-password': `Svc-${hex(10)}`,
  'airflow-cornflow/airflow-password': `Af-${hex(10)}`,
  'airflow-cornflow-db/password': `cf-${hex(10)}`,
};

const SOLVER = 'cf_sum_solver';
const SCHEMAS = {
  instance: { type: 'object', properties: { numbers: { type: 'array', items: { type: 'number' } } }, required: ['numbers'] },
  solution: { type: 'object', properties: { total: { type: 'number' } } },
  instance_checks: {}, solution_checks: {}, config: { type: 'object', properties: {} }, kpis: {},
};
/**
 * A solver DAG as Cornflow expects one (tag `model`, a task named like the DAG, conf.exec_id), and
 * `update_all_schemas` (the internal DAG Cornflow's init triggers). The solver logs in to Cornflow through the CF_URI
 * connection (connect_to_cornflow, the way cornflow-dags do), reads the instance, and writes the sum back.
 */
const DAGS = `
from airflow.sdk import DAG, Variable
from airflow.providers.standard.operators.python import PythonOperator

def solve(dag_run=None, **_):
    from airflow.secrets.environment_variables import EnvironmentVariablesBackend
    from cornflow_client.airflow.dag_utilities import connect_to_cornflow
    exec_id = dag_run.conf["exec_id"]
    client = connect_to_cornflow(EnvironmentVariablesBackend())
    data = client.get_data(exec_id)
    total = sum(data["data"]["numbers"])
    client.write_solution(exec_id, data={"total": total}, state=1)
    print("cf-solver wrote total=%s for %s" % (total, exec_id))

def update_schemas(**_):
    print("update_all_schemas: %s" % sorted(Variable.get("${SOLVER}", deserialize_json=True)))

with DAG("${SOLVER}", schedule=None, tags=["model"], is_paused_upon_creation=False, description="sum") as solver:
    PythonOperator(task_id="${SOLVER}", python_callable=solve)

with DAG("update_all_schemas", schedule=None, tags=["internal"], is_paused_upon_creation=False) as schemas:
    PythonOperator(task_id="update_all_schemas", python_callable=update_schemas)
`;

const stack = new Stack(authStack());
const cf = cornflowStack();
const timings: Record<string, number> = {};
const started = Date.now();
const mark = (what: string, since: number) => { timings[what] = Math.round((Date.now() - since) / 100) / 10; };

const http = httpJson;

/**
 * One release on this machine: its render, the servers it runs (a Stack), their local ports and the scratch
 * AIRFLOW_HOME. Timings are recorded under `<label>` + what.
 */
class Scenario {
  public manifests: any[] = [];
  public readonly ports: Record<string, number> = {};
  public home = '';
  /** The scheduler container's environment (also used for the `airflow` CLI steps). */
  public airflowEnv: Record<string, string> = {};
  public cornflowEnv: Record<string, string> = {};

  constructor(public readonly stack: Stack, public readonly label: string) {}

  public mark(what: string, since: number): void {
    mark(this.label + what, since);
  }

  /** Rewrites the release's Service host:port (and /opt/airflow) to the local processes. */
  public local(value: string): string {
    const svc = (name: string) => new RegExp(`\\b${RELEASE}-${name}(\\.${NS}(\\.svc(\\.cluster\\.local)?)?)?:(\\d+)\\b`, 'g');
    return value
      .replace(svc('postgres'), `127.0.0.1:${this.ports.pg}`)
      .replace(svc('api-server'), `127.0.0.1:${this.ports.api}`)
      .replace(svc('cornflow'), `127.0.0.1:${this.ports.cornflow}`)
      .replace(svc('redis'), `127.0.0.1:${this.ports.redis}`)
      .replace(/\/opt\/airflow\b/g, this.home);
  }

  public find(kind: string, prefix: string): any {
    const m = this.manifests.find((x) => x.kind === kind && (x.metadata.name === prefix || (kind === 'Job' && x.metadata.name.startsWith(`${prefix}-`))));
    if (!m) throw new Error(`no ${kind} ${prefix} in the render`);
    return m;
  }

  public container(kind: string, name: string, c: string): any {
    const pod = this.find(kind, name).spec.template.spec;
    const found = [...pod.initContainers ?? [], ...pod.containers].find((x: any) => x.name === c);
    if (!found) throw new Error(`no container ${c} in ${kind} ${name}`);
    return found;
  }

  /** The container's environment on this machine: rendered env, Services and paths local, venv binaries first. */
  public envOf(c: any, binDir: string, extra: Record<string, string> = {}): Record<string, string> {
    const rendered = containerEnv(c, SECRETS);
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !/^(AIRFLOW|PG|CORNFLOW|PYTHON|REDIS)/.test(k)) out[k] = v;
    for (const [k, v] of Object.entries(rendered)) out[k] = this.local(v);
    out.PATH = `${binDir}:${this.stack.tools.pgBin}:${process.env.PATH}`;
    return { ...out, ...extra };
  }

  public run(what: string, cmd: string[], env: Record<string, string>, timeoutMs = 600_000): string {
    const t = Date.now();
    const r = spawnSync(cmd[0], cmd.slice(1), { env, encoding: 'utf-8', timeout: timeoutMs, cwd: this.home });
    this.mark(what, t);
    if (r.status !== 0) throw new Error(`${what} failed (${r.status} ${r.signal ?? ''}):\n${(r.stdout + r.stderr).slice(-5000)}`);
    return r.stdout + r.stderr;
  }

  public airflowApi(m: string, p: string, t?: string, b?: unknown) { return http(`http://127.0.0.1:${this.ports.api}`, m, p, t, b); }
  public cornflowApi(m: string, p: string, t?: string, b?: unknown) { return http(`http://127.0.0.1:${this.ports.cornflow}`, m, p, t, b); }

  public async airflowToken(user: string, password: string): Promise<string> {
    const r = await this.airflowApi('POST', '/auth/token', undefined, { username: user, password });
    if (r.status !== 201) throw new Error(`Airflow login of ${user}: ${r.status} ${JSON.stringify(r.json)}`);
    return r.json.access_token;
  }

  /** Starts Cornflow's Deployment container (gunicorn) on ports.cornflow. */
  public async startCornflow(name: string, env: Record<string, string>, c = this.container('Deployment', `${RELEASE}-cornflow`, 'cornflow')): Promise<void> {
    const args = argv(c);
    expect(args[0]).toBe('gunicorn');
    const bind = args.indexOf('--bind');
    expect(args[bind + 1]).toBe('0.0.0.0:5000');
    args[bind + 1] = `127.0.0.1:${this.ports.cornflow}`;
    const t = Date.now();
    const log = this.stack.start(name, cf.gunicorn, args.slice(1), { env, cwd: this.home });
    await waitFor(name, 120, async () => (await this.cornflowApi('GET', '/health/')).status === 200, log);
    this.mark(`${name} start`, t);
  }

  public runInit(label: string, c = this.container('Job', `${RELEASE}-cornflow-init`, 'cornflow-init')): string {
    const a = argv(c);
    expect(a.slice(0, 2)).toEqual(['python', '-c']);
    return this.run(label, [cf.python, ...a.slice(1)], this.envOf(c, dirname(cf.python)));
  }

  /** The solver's lines in every task log file under `home`/logs (default: the scenario's AIRFLOW_HOME). */
  public taskLogs(home = this.home): string {
    const r = spawnSync('grep', ['-rh', 'cf-solver', join(home, 'logs')], { encoding: 'utf-8' });
    return r.stdout ?? '';
  }

  public cornflowSql(sql: string): string {
    const r = spawnSync(join(this.stack.tools.pgBin, 'psql'), ['-h', '127.0.0.1', '-p', String(this.ports.pg), '-U', 'cornflow', '-d', 'cornflow', '-tAc', sql],
      { encoding: 'utf-8', env: { ...process.env, PGPASSWORD: SECRETS['airflow-cornflow-db/password'] } });
    if (r.status !== 0) throw new Error(`psql: ${r.stderr}`);
    return r.stdout.trim();
  }

  /**
   * Synthesizes the chart and starts PostgreSQL, (with Celery) Redis, the Airflow api-server, scheduler and
   * dag-processor, (with Celery) one worker, runs the Airflow-side Jobs and the cornflow-db Job, and waits until the
   * DAGs are parsed. Cornflow itself is started by the tests (after its init Job).
   */
  public async bringUp(executor: Executor): Promise<void> {
    const celery = executor === Executor.CELERY;
    for (const k of ['pg', 'api', 'cornflow', ...celery ? ['redis'] : []]) this.ports[k] = await freePort();
    this.home = this.stack.path('airflow');
    mkdirSync(join(this.home, 'dags'), { recursive: true });
    writeFileSync(join(this.home, 'dags', 'cornflow_dags.py'), DAGS);

    this.manifests = Testing.synth(new AirflowChart(Testing.app(), RELEASE, { namespace: NS, executor, cornflow: Cornflow.enabled() })) as any[];
    const cm = this.find('ConfigMap', `${RELEASE}-config`);
    writeFileSync(join(this.home, 'airflow.cfg'), this.local(cm.data['airflow.cfg']));
    writeFileSync(join(this.home, 'webserver_config.py'), this.local(cm.data['webserver_config.py']));

    let t = Date.now();
    await this.stack.startPostgres(this.ports.pg, SECRETS['airflow-postgres/password']);
    this.mark('postgres', t);
    if (celery) await this.startRedis();

    // Airflow processes: the scheduler container's env (with LocalExecutor it runs the tasks: AIRFLOW_CONN_CF_URI),
    // with cornflow-client on PYTHONPATH as an image with `pip install cornflow-client` would have it.
    const airflowBin = dirname(this.stack.tools.airflow);
    const sched = this.container('Deployment', `${RELEASE}-scheduler`, 'scheduler');
    this.airflowEnv = this.envOf(sched, airflowBin, {
      PYTHONPATH: cf.clientPath, AIRFLOW__API__HOST: '127.0.0.1', AIRFLOW__API__PORT: String(this.ports.api),
    });
    this.run('airflow db migrate', [this.stack.tools.airflow, 'db', 'migrate'], this.airflowEnv);
    this.run('airflow variables set (solver schemas)', [this.stack.tools.airflow, 'variables', 'set', SOLVER, JSON.stringify(SCHEMAS)], this.airflowEnv);

    const api = this.container('Deployment', `${RELEASE}-api-server`, 'api-server');
    const apiArgs = argv(api).map((a: string, i: number, all: string[]) => (all[i - 1] === '--port' ? String(this.ports.api) : a));
    expect(apiArgs[0]).toBe('airflow');
    const apiEnv = { ...this.envOf(api, airflowBin), PYTHONPATH: cf.clientPath, AIRFLOW__API__HOST: '127.0.0.1' };
    t = Date.now();
    const apiLog = this.stack.start('api-server', this.stack.tools.airflow, apiArgs.slice(1), { env: apiEnv, cwd: this.home });
    const schedLog = this.stack.start('scheduler', this.stack.tools.airflow, argv(sched).slice(1), { env: this.airflowEnv, cwd: this.home });
    const dp = this.container('Deployment', `${RELEASE}-dag-processor`, 'dag-processor');
    this.stack.start('dag-processor', this.stack.tools.airflow, argv(dp).slice(1), { env: { ...this.envOf(dp, airflowBin), PYTHONPATH: cf.clientPath }, cwd: this.home });
    const workerReady = celery ? this.startWorker(airflowBin) : Promise.resolve();
    await waitFor('api-server', 240, async () => (await this.airflowApi('GET', '/api/v2/version')).status === 200, apiLog);
    await waitFor('scheduler healthy', 240, async () => (await this.airflowApi('GET', '/api/v2/monitor/health')).json?.scheduler?.status === 'healthy', schedLog);
    await workerReady;
    this.mark('airflow processes start', t);

    // The Airflow-side Jobs: role Cornflow, then the user cornflow.
    for (const [job, c] of [[`${RELEASE}-cornflow-role`, 'cornflow-role'], [`${RELEASE}-cornflow-user`, 'cornflow-user']]) {
      const k = this.container('Job', job, c);
      const a = argv(k);
      this.run(`job ${c}`, [a[0] === 'python' ? join(airflowBin, 'python') : a[0], ...a.slice(1)], this.envOf(k, airflowBin));
    }

    // Cornflow's database (the cornflow-db Job: psql to the embedded PostgreSQL).
    const dbJob = this.container('Job', `${RELEASE}-cornflow-db`, 'cornflow-db');
    const dbEnv = this.envOf(dbJob, this.stack.tools.pgBin, { PGPORT: String(this.ports.pg) });
    dbEnv.PGHOST = '127.0.0.1';
    this.run('job cornflow-db', argv(dbJob), dbEnv);
    this.run('job cornflow-db (again)', argv(dbJob), dbEnv);

    this.cornflowEnv = this.envOf(this.container('Deployment', `${RELEASE}-cornflow`, 'cornflow'), dirname(cf.python));
    // DAGs must be parsed before Cornflow's init registers them.
    await waitFor('DAGs parsed', 240, async () => {
      const r = await this.airflowApi('GET', '/api/v2/dags?tags=model', await this.airflowToken('cornflow', SECRETS['airflow-cornflow/airflow-password']));
      return r.status === 200 && r.json.dags.some((d: any) => d.dag_id === SOLVER);
    });
  }

  /** The directory standing in for the worker pod's own filesystem (its AIRFLOW_HOME). */
  public get workerHome(): string {
    return this.stack.path('worker-home');
  }

  /**
   * The Redis Deployment's container: its rendered `sh -c` script and redis.conf (ConfigMap), with the pod's paths
   * (/etc/redis, /run/redis, /data) in the scratch directory and the Service port on loopback.
   */
  private async startRedis(): Promise<void> {
    const c = this.container('Deployment', `${RELEASE}-redis`, 'redis');
    const dirs: Record<string, string> = { '/etc/redis': this.stack.path('redis', 'etc'), '/run/redis': this.stack.path('redis', 'run'), '/data': this.stack.path('redis', 'data') };
    for (const d of Object.values(dirs)) mkdirSync(d, { recursive: true });
    expect(c.volumeMounts.find((m: any) => m.name === 'config').mountPath).toBe('/etc/redis');
    const paths = (s: string) => s.replace(/(?<=^|[\s"'])(\/etc\/redis|\/run\/redis|\/data)\b/gm, (p) => dirs[p]);
    const conf = String(this.find('ConfigMap', `${RELEASE}-redis`).data['redis.conf']);
    expect(conf).toMatch(/^bind 0\.0\.0\.0$/m);
    expect(conf).toMatch(/^port 6379$/m);
    writeFileSync(join(dirs['/etc/redis'], 'redis.conf'),
      paths(conf).replace(/^bind .*$/m, 'bind 127.0.0.1').replace(/^port 6379$/m, `port ${this.ports.redis}`));
    const cmd = argv(c);
    expect(cmd.slice(0, 2)).toEqual(['sh', '-c']);
    // The rendered script runs `redis-server` (and the probe `redis-cli`) by name: Debian's, first on PATH.
    const env = this.envOf(c, dirname(cf.redisServer));
    const t = Date.now();
    const log = this.stack.start('redis', 'sh', ['-c', paths(cmd[2])], { env, cwd: dirs['/data'] });
    // The readiness probe's command, on the local port.
    const probe: string[] = c.readinessProbe.exec.command;
    expect(probe.slice(0, 2)).toEqual(['sh', '-c']);
    const probeScript = String(probe[2]).replace(/-p 6379\b/, `-p ${this.ports.redis}`);
    await waitFor('redis', 30, async () => spawnSync('sh', ['-c', probeScript], { env }).status === 0, log);
    this.mark('redis', t);
  }

  /** The worker Deployment's container, with its own AIRFLOW_HOME (the image's dags/ and the rendered airflow.cfg). */
  private async startWorker(airflowBin: string): Promise<void> {
    const w = this.container('Deployment', `${RELEASE}-worker`, 'worker');
    const home = this.workerHome;
    mkdirSync(join(home, 'dags'), { recursive: true });
    writeFileSync(join(home, 'dags', 'cornflow_dags.py'), DAGS);
    writeFileSync(join(home, 'airflow.cfg'), readFileSync(join(this.home, 'airflow.cfg'), 'utf-8'));
    const env: Record<string, string> = { ...this.envOf(w, airflowBin), PYTHONPATH: cf.clientPath };
    expect(env.AIRFLOW_HOME).toBe(this.home);
    env.AIRFLOW_HOME = home;
    const args = argv(w);
    expect(args.slice(0, 3)).toEqual(['airflow', 'celery', 'worker']);
    const log = this.stack.start('worker', this.stack.tools.airflow, args.slice(1), { env, cwd: home });
    await waitFor('celery worker ready', 120, async () => /celery@\S+ ready\./.test(readFileSync(log, 'utf-8')), log);
  }
}

/** A rendered container's command + args (callers map the first word to the venv binary). */
function argv(c: any): string[] {
  return [...c.command ?? [], ...c.args ?? []];
}

// The LocalExecutor release, which the first two describe blocks use through these names.
const main = new Scenario(stack, '');
const ports = main.ports;
const cornflowApi = (m: string, p: string, t?: string, b?: unknown) => main.cornflowApi(m, p, t, b);
const airflowApi = (m: string, p: string, t?: string, b?: unknown) => main.airflowApi(m, p, t, b);
const airflowToken = (user: string, password: string) => main.airflowToken(user, password);
const envOf = (c: any, binDir: string, extra: Record<string, string> = {}) => main.envOf(c, binDir, extra);
const startCornflow = (name: string, env: Record<string, string>, c?: any) => main.startCornflow(name, env, c);
const runInit = (label: string, c?: any) => main.runInit(label, c);
const taskLogs = () => main.taskLogs();
const cornflowSql = (sql: string) => main.cornflowSql(sql);

beforeAll(async () => {
  ports.ldap = await freePort();
  // GIVEN the chart with Cornflow (database login, embedded PostgreSQL, LocalExecutor).
  await main.bringUp(Executor.LOCAL);
}, 30 * 60_000);

afterAll(async () => {
  await stack.stop();
  // eslint-disable-next-line no-console
  console.log(`cornflow integration timings (s): ${JSON.stringify({ ...timings, total: Math.round((Date.now() - started) / 1000) })}`);
}, 60_000);

describe('Cornflow with database login', () => {
  test('a. the init Job migrates, creates the admin and service users with the generated passwords, registers the solver; twice is idempotent', async () => {
    runInit('job cornflow-init');
    const users = () => cornflowSql("SELECT u.username || ':' || string_agg(r.role_id::text, ',') FROM users u JOIN user_role r ON r.user_id = u.id GROUP BY u.username ORDER BY 1");
    const first = users();
    expect(first.split('\n')).toEqual(['cornflow_admin:3', 'service_user:4']);
    expect(cornflowSql('SELECT id FROM deployed_workflows ORDER BY id')).toBe(SOLVER);
    runInit('job cornflow-init (again)');
    expect(users()).toBe(first);
    expect(cornflowSql('SELECT count(*) FROM deployed_workflows')).toBe('1');
    // The generated passwords work, Cornflow's documented defaults do not.
    await startCornflow('cornflow', main.cornflowEnv);
    expect((await cornflowApi('POST', '/login/', undefined, { username: 'cornflow_admin', password: SECRETS['airflow-cornflow/admin-password'] })).status).toBe(200);
    expect((await cornflowApi('POST', '/login/', undefined, { username: 'service_user', password: SECRETS['airflow-cornflow/service-password'] })).status).toBe(200);
    expect((await cornflowApi('POST', '/login/', undefined, { username: 'cornflow_admin', password: 'Cornflow_admin1234' })).status).not.toBe(200);
    expect((await cornflowApi('POST', '/login/', undefined, { username: 'service_user', password: 'Service_user1234' })).status).not.toBe(200);
  }, 20 * 60_000);

  test('b. GET /health/ reports Cornflow and Airflow healthy', async () => {
    const r = await cornflowApi('GET', '/health/');
    expect(r.status).toBe(200);
    expect(r.json).toEqual({ cornflow_status: 'healthy', backend_status: 'healthy', cornflow_version: '1.3.9' });
  });

  test('c. the Airflow user cornflow (role Cornflow) lists DAGs, triggers a run, and is refused admin actions', async () => {
    const t = await airflowToken('cornflow', SECRETS['airflow-cornflow/airflow-password']);
    const dags = await airflowApi('GET', '/api/v2/dags', t);
    expect(dags.status).toBe(200);
    expect(dags.json.dags.map((d: any) => d.dag_id).sort()).toEqual([SOLVER, 'update_all_schemas']);
    expect((await airflowApi('GET', `/api/v2/variables/${SOLVER}`, t)).status).toBe(200);
    const runs = await airflowApi('GET', '/api/v2/dags/update_all_schemas/dagRuns', t);
    expect(runs.status).toBe(200);
    const trig = await airflowApi('POST', '/api/v2/dags/update_all_schemas/dagRuns', t, { logical_date: null });
    expect(trig.status).toBe(200);
    expect((await airflowApi('GET', '/auth/fab/v1/users', t)).status).toBe(403);
    expect((await airflowApi('GET', '/auth/fab/v1/roles', t)).status).toBe(403);
    expect((await airflowApi('GET', '/api/v2/config', t)).status).toBe(403);
    expect((await airflowApi('GET', '/api/v2/pools', t)).status).toBe(403);
  });

  let execution: { id: string; run: string } | undefined;
  let expectedTotal = -1;
  test('d. an execution created in Cornflow triggers the solver DAG in Airflow (as the user cornflow)', async () => {
    const login = await cornflowApi('POST', '/login/', undefined, { username: 'cornflow_admin', password: SECRETS['airflow-cornflow/admin-password'] });
    const tok = login.json.token;
    const numbers = [3, 5, 7 + Math.floor(Math.random() * 100)];
    const inst = await cornflowApi('POST', '/instance/', tok, { name: 'sum', schema: SOLVER, data: { numbers } });
    expect(inst.status).toBe(201);
    const ex = await cornflowApi('POST', '/execution/', tok, { name: 'sum', schema: SOLVER, instance_id: inst.json.id, config: {} });
    expect(ex.status).toBe(201);
    const t = await airflowToken('cornflow', SECRETS['airflow-cornflow/airflow-password']);
    const runs = await airflowApi('GET', `/api/v2/dags/${SOLVER}/dagRuns`, t);
    expect(runs.status).toBe(200);
    const run = runs.json.dag_runs.find((r: any) => r.conf?.exec_id === ex.json.id);
    expect(run).toBeDefined();
    expect(run).toMatchObject({ triggered_by: 'rest_api', triggering_user_name: 'cornflow' });
    execution = { id: ex.json.id, run: run.dag_run_id };
    // e. checks what the task did with it.
    expectedTotal = numbers.reduce((a, b) => a + b, 0);
  }, 120_000);

  test('e. the task logs in to Cornflow through CF_URI as the service user and writes the solution', async () => {
    expect(execution).toBeDefined();
    const tok = (await cornflowApi('POST', '/login/', undefined, { username: 'cornflow_admin', password: SECRETS['airflow-cornflow/admin-password'] })).json.token;
    let state: any;
    await waitFor('the solver run', 300, async () => {
      state = (await cornflowApi('GET', `/execution/${execution!.id}/status/`, tok)).json;
      return state?.state === 1 || state?.state === -1;
    }, stack.path('scheduler.log'));
    expect(state.state).toBe(1);
    const data = await cornflowApi('GET', `/execution/${execution!.id}/data/`, tok);
    expect(data.status).toBe(200);
    expect(data.json.data).toEqual({ total: expectedTotal });
    // Only the task could have computed the sum; its log says it logged in through CF_URI.
    expect(readFileSync(stack.path('scheduler.log'), 'utf-8') + taskLogs()).toContain(`cf-solver wrote total=${expectedTotal}`);
  }, 400_000);
});

const SUFFIX = 'dc=example,dc=org';
const LDAP_PW: Record<string, string> = { 'cf-bind': hex(8), planner1: hex(8), admin1: hex(8), nogroup1: hex(8), cfsvc: hex(8) };
function seedLdif(): string {
  const user = (uid: string) => [`dn: uid=${uid},ou=people,${SUFFIX}`, 'objectClass: inetOrgPerson', `uid: ${uid}`, `cn: ${uid}`,
    'sn: Tester', `mail: ${uid}@example.org`, `userPassword: ${LDAP_PW[uid]}`, ''];
  const group = (cn: string, members: string[]) => [`dn: cn=${cn},ou=groups,${SUFFIX}`, 'objectClass: groupOfNames', `cn: ${cn}`,
    ...members.map((m) => `member: uid=${m},ou=people,${SUFFIX}`), ''];
  return [
    `dn: ${SUFFIX}`, 'objectClass: dcObject', 'objectClass: organization', 'dc: example', 'o: Example', '',
    `dn: ou=people,${SUFFIX}`, 'objectClass: organizationalUnit', 'ou: people', '',
    `dn: ou=groups,${SUFFIX}`, 'objectClass: organizationalUnit', 'ou: groups', '',
    `dn: cn=cf-bind,${SUFFIX}`, 'objectClass: organizationalRole', 'objectClass: simpleSecurityObject', 'cn: cf-bind', `userPassword: ${LDAP_PW['cf-bind']}`, '',
    ...user('planner1'), ...user('admin1'), ...user('nogroup1'), ...user('cfsvc'),
    ...group('cf-planners', ['planner1']), ...group('cf-admins', ['admin1']), ...group('cf-service', ['cfsvc']),
    ...group('unrelated', ['nogroup1']),
  ].join('\n');
}

describe('Cornflow with LDAP login (ldaps://)', () => {
  const api = (m: string, p: string, t?: string, b?: unknown) => http(`http://127.0.0.1:${ports.cornflowLdap}`, m, p, t, b);
  const login = (u: string, pw: string) => api('POST', '/login/', undefined, { username: u, password: pw });

  beforeAll(async () => {
    ports.cornflowLdap = await freePort();
    const tls = stack.makeCertificates();
    let t = Date.now();
    await stack.startSlapd(ports.ldap, SUFFIX, `cn=admin,${SUFFIX}`, hex(8), seedLdif(), tls, true);
    mark('slapd (ldaps)', t);
    // GIVEN the same release with Cornflow's LDAP login; groups by cn, the service user a directory account.
    const ldapManifests = Testing.synth(new AirflowChart(Testing.app(), RELEASE, {
      namespace: NS,
      executor: Executor.LOCAL,
      cornflow: Cornflow.enabled({
        auth: CornflowAuth.ldap({
          directory: new LdapDirectory({
            url: `ldaps://127.0.0.1:${ports.ldap}`,
            bindDn: `cn=cf-bind,${SUFFIX}`,
            bindPassword: SecretKeyRef.fromSecret('ldap-bind', 'password'),
            userBase: `ou=people,${SUFFIX}`,
            groupBase: `ou=groups,${SUFFIX}`,
          }),
          roleGroups: { planner: 'cf-planners', admin: 'cf-admins', service: 'cf-service' },
        }),
        serviceUser: { username: 'cfsvc', password: SecretKeyRef.fromSecret('cf-svc', 'password') },
      }),
    })) as any[];
    SECRETS['ldap-bind/password'] = LDAP_PW['cf-bind'];
    SECRETS['cf-svc/password'] = LDAP_PW.cfsvc;
    const pick = (kind: string, name: string, c: string) => {
      const m = ldapManifests.find((x) => x.kind === kind && (x.metadata.name === name || x.metadata.name.startsWith(`${name}-`)));
      return [...m.spec.template.spec.initContainers ?? [], ...m.spec.template.spec.containers].find((x: any) => x.name === c);
    };
    runInit('job cornflow-init (LDAP)', pick('Job', `${RELEASE}-cornflow-init`, 'cornflow-init'));
    const c = pick('Deployment', `${RELEASE}-cornflow`, 'cornflow');
    expect(c.env.find((e: any) => e.name === 'AUTH_TYPE').value).toBe('2');
    const saved = ports.cornflow;
    ports.cornflow = ports.cornflowLdap; // startCornflow binds ports.cornflow
    try {
      await startCornflow('cornflow-ldap', envOf(c, dirname(cf.python)), c);
    } finally {
      ports.cornflow = saved;
    }
  }, 10 * 60_000);

  const roles = (user: string) => cornflowSql(`SELECT string_agg(r.role_id::text, ',' ORDER BY r.role_id) FROM users u JOIN user_role r ON r.user_id = u.id WHERE u.username = '${user}'`);

  test('f. a planner-group user logs in and is a planner; an admin-group user is an admin', async () => {
    const p = await login('planner1', LDAP_PW.planner1);
    expect(p.status).toBe(200);
    expect(roles('planner1')).toBe('2');
    expect((await api('GET', '/instance/', p.json.token)).status).toBe(200);
    const a = await login('admin1', LDAP_PW.admin1);
    expect(a.status).toBe(200);
    expect(roles('admin1')).toBe('3');
    const me = await api('GET', `/user/${p.json.id}/`, a.json.token);
    expect(me.status).toBe(200);
    expect(me.json.username).toBe('planner1');
  });

  test('f. a wrong password is refused; a user in no mapped group gets no role and is refused', async () => {
    expect((await login('planner1', 'not-the-password')).status).toBe(400);
    const n = await login('nogroup1', LDAP_PW.nogroup1);
    // Cornflow 1.3.9 lets the bind succeed and creates the user without roles; every request is then refused.
    expect(n.status).toBe(200);
    expect(roles('nogroup1')).toBe('');
    expect((await api('GET', '/instance/', n.json.token)).status).toBe(403);
  });

  test('f. the service user is a directory account in the service group', async () => {
    // Cornflow is "unhealthy" until the service user exists in its database: with LDAP, until its first login.
    expect((await api('GET', '/health/')).json.cornflow_status).toBe('unhealthy');
    const s = await login('cfsvc', LDAP_PW.cfsvc);
    expect(s.status).toBe(200);
    expect(roles('cfsvc')).toBe('4');
    const h = await api('GET', '/health/');
    expect(h.json).toEqual({ cornflow_status: 'healthy', backend_status: 'healthy', cornflow_version: '1.3.9' });
  });
});

describe('Cornflow with CeleryExecutor (Redis, one worker)', () => {
  let celery: Scenario;
  const CF_CREDENTIALS = ['AIRFLOW_CONN_CF_URI', 'CORNFLOW_SERVICE_PASSWORD'];
  const envNames = (c: any): string[] => (c.env ?? []).map((e: any) => e.name);
  const airflowSql = (sql: string): string => {
    const r = spawnSync(join(celery.stack.tools.pgBin, 'psql'), ['-h', '127.0.0.1', '-p', String(celery.ports.pg), '-U', 'airflow', '-d', 'airflow', '-tAc', sql],
      { encoding: 'utf-8', env: { ...process.env, PGPASSWORD: SECRETS['airflow-postgres/password'] } });
    if (r.status !== 0) throw new Error(`psql: ${r.stderr}`);
    return r.stdout.trim();
  };
  const redisCli = (args: string[], auth = true) => spawnSync(cf.redisCli, ['-h', '127.0.0.1', '-p', String(celery.ports.redis), ...args], {
    encoding: 'utf-8', env: { PATH: process.env.PATH, ...(auth ? { REDISCLI_AUTH: SECRETS['airflow-redis/password'] } : {}) },
  });

  beforeAll(async () => {
    // The LocalExecutor release is done with: its scheduler holds the ports the rendered airflow.cfg gives the
    // scheduler's health check (8974) and the task-log server (8793), which this release's scheduler and worker bind
    // (in the cluster each in its own pod).
    await stack.stop();
    SECRETS['airflow-redis/password'] = `rd-${hex(10)}`;
    celery = new Scenario(new Stack(stack.tools), 'celery: ');
    const t = Date.now();
    // GIVEN the chart with Cornflow (database login, embedded PostgreSQL) and CeleryExecutor (embedded Redis).
    await celery.bringUp(Executor.CELERY);
    celery.runInit('job cornflow-init');
    await celery.startCornflow('cornflow', celery.cornflowEnv);
    celery.mark('bring-up', t);
  }, 30 * 60_000);

  afterAll(async () => {
    await celery?.stack.stop();
  }, 60_000);

  test('g. only the worker holds the Cornflow service credentials: not the scheduler, api-server, dag-processor, triggerer', () => {
    const worker = envNames(celery.container('Deployment', `${RELEASE}-worker`, 'worker'));
    expect(worker).toEqual(expect.arrayContaining(CF_CREDENTIALS));
    for (const d of ['scheduler', 'api-server', 'dag-processor', 'triggerer']) {
      const pod = celery.find('Deployment', `${RELEASE}-${d}`).spec.template.spec;
      for (const c of [...pod.initContainers ?? [], ...pod.containers]) {
        for (const name of CF_CREDENTIALS) expect({ container: `${d}/${c.name}`, has: envNames(c).includes(name) }).toEqual({ container: `${d}/${c.name}`, has: false });
      }
    }
    // Which Airflow containers in the whole render carry AIRFLOW_CONN_CF_URI: the worker alone.
    const holders = celery.manifests.filter((m) => m.spec?.template?.spec).flatMap((m) => [...m.spec.template.spec.initContainers ?? [], ...m.spec.template.spec.containers]
      .filter((c: any) => envNames(c).includes('AIRFLOW_CONN_CF_URI')).map((c: any) => `${m.kind}/${m.metadata.name}/${c.name}`));
    expect(holders).toEqual([`Deployment/${RELEASE}-worker/worker`]);
    // And so the local scheduler process ran without them.
    for (const name of CF_CREDENTIALS) expect(celery.airflowEnv[name]).toBeUndefined();
    expect(Object.values(celery.airflowEnv)).not.toContain(SECRETS['airflow-cornflow/service-password']);
  });

  test('h. Redis requires the generated password', () => {
    expect(redisCli(['ping'], false).stdout).toMatch(/NOAUTH/);
    expect(redisCli(['ping']).stdout.trim()).toBe('PONG');
  });

  test('i. an execution created in Cornflow runs on the Celery worker, which logs in through CF_URI and writes the solution', async () => {
    const tok = (await celery.cornflowApi('POST', '/login/', undefined, { username: 'cornflow_admin', password: SECRETS['airflow-cornflow/admin-password'] })).json.token;
    const numbers = [11, 13, 17 + Math.floor(Math.random() * 100)];
    const inst = await celery.cornflowApi('POST', '/instance/', tok, { name: 'sum', schema: SOLVER, data: { numbers } });
    expect(inst.status).toBe(201);
    const t = Date.now();
    const ex = await celery.cornflowApi('POST', '/execution/', tok, { name: 'sum', schema: SOLVER, instance_id: inst.json.id, config: {} });
    expect(ex.status).toBe(201);
    const af = await celery.airflowToken('cornflow', SECRETS['airflow-cornflow/airflow-password']);
    const runs = await celery.airflowApi('GET', `/api/v2/dags/${SOLVER}/dagRuns`, af);
    const run = runs.json.dag_runs.find((r: any) => r.conf?.exec_id === ex.json.id);
    expect(run).toMatchObject({ triggered_by: 'rest_api', triggering_user_name: 'cornflow' });

    let state: any;
    await waitFor('the solver run (Celery)', 300, async () => {
      state = (await celery.cornflowApi('GET', `/execution/${ex.json.id}/status/`, tok)).json;
      return state?.state === 1 || state?.state === -1;
    }, celery.stack.path('worker.log'));
    celery.mark('solver run (execution created to solution written)', t);
    expect(state.state).toBe(1);
    const total = numbers.reduce((a, b) => a + b, 0);
    const data = await celery.cornflowApi('GET', `/execution/${ex.json.id}/data/`, tok);
    expect(data.status).toBe(200);
    expect(data.json.data).toEqual({ total });

    // The task instance: queued by the scheduler on the worker's queue, handed to Celery, succeeded (the worker
    // reports the end a few seconds after the solution is written; the scheduler then logs it).
    const tiPath = `/api/v2/dags/${SOLVER}/dagRuns/${encodeURIComponent(run.dag_run_id)}/taskInstances/${SOLVER}`;
    let ti: { status: number; json: any } = { status: 0, json: undefined };
    await waitFor('the task instance finished (Celery)', 120, async () => {
      ti = await celery.airflowApi('GET', tiPath, af);
      return ti.json?.state === 'success' && readFileSync(celery.stack.path('scheduler.log'), 'utf-8').includes(`ti_id=${ti.json.id}, run_start_date`);
    }, celery.stack.path('worker.log'));
    celery.mark('solver task instance finished (execution created to scheduler log)', t);
    expect(ti.status).toBe(200);
    expect(ti.json).toMatchObject({ state: 'success', queue: 'default' });
    expect(argv(container('worker'))).toEqual(['airflow', 'celery', 'worker', '--concurrency', '16', '--queues', 'default']);
    // (job.executor_class stays NULL in Airflow 3.3.2; external_executor_id is the Celery task id.)
    const [jobType, celeryTaskId] = airflowSql(`SELECT j.job_type, t.external_executor_id FROM task_instance t JOIN job j ON j.id = t.queued_by_job_id WHERE t.id = '${ti.json.id}'`).split('|');
    expect(jobType).toBe('SchedulerJob');
    expect(celeryTaskId).toMatch(/^[0-9a-f-]{36}$/);
    const schedulerLog = readFileSync(celery.stack.path('scheduler.log'), 'utf-8');
    expect(schedulerLog.split('\n').some((l) => l.includes('TaskInstance Finished') && l.includes(`ti_id=${ti.json.id}`) && l.includes('executor=CeleryExecutor('))).toBe(true);

    // The worker took that Celery task from the broker and executed the task instance; the result backend says SUCCESS.
    const workerLog = readFileSync(celery.stack.path('worker.log'), 'utf-8');
    expect(workerLog.split('\n').some((l) => l.includes(`[${celeryTaskId}] Executing workload in Celery`) && l.includes(ti.json.id) && l.includes(run.dag_run_id))).toBe(true);
    expect(workerLog).toContain(`Task execute_workload[${celeryTaskId}] succeeded`);
    const meta = JSON.parse(redisCli(['-n', '1', 'GET', `celery-task-meta-${celeryTaskId}`]).stdout);
    expect(meta).toMatchObject({ status: 'SUCCESS', task_id: celeryTaskId });

    // The solver's line is in the task log the worker wrote in its own AIRFLOW_HOME, nowhere on the scheduler's side.
    expect(celery.taskLogs(celery.workerHome)).toContain(`cf-solver wrote total=${total} for ${ex.json.id}`);
    expect(celery.taskLogs()).toBe('');
    expect(schedulerLog).not.toContain('cf-solver wrote');
  }, 400_000);

  function container(name: string): any {
    return celery.container('Deployment', `${RELEASE}-${name}`, name);
  }
});
