/**
 * Real servers for the auth integration tests, on loopback ports, in one temporary directory: a test CA made with
 * openssl, OpenLDAP (slapd) with StartTLS, PostgreSQL, and Airflow processes from the venv that
 * .ci/tools/auth-stack.sh installs.
 */
import { ChildProcess, execFileSync, spawn, SpawnOptions } from 'child_process';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'fs';
import { request } from 'http';
import { createServer, Socket } from 'net';
import { tmpdir } from 'os';
import { join } from 'path';

export interface StackTools {
  readonly python: string;
  readonly airflow: string;
  readonly slapd: string;
  readonly slapadd: string;
  readonly pgBin: string;
  readonly openssl: string;
}

/** Runs .ci/tools/auth-stack.sh (installing on first use) and returns where the tools are. */
export function authStack(): StackTools {
  const script = join(__dirname, '..', '..', '.ci', 'tools', 'auth-stack.sh');
  let out: string;
  try {
    out = execFileSync('bash', [script], { encoding: 'utf-8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 << 20 });
  } catch (e: any) {
    const err = String(e.stderr ?? '').split('\n').slice(-25).join('\n');
    throw new Error(`the auth integration test needs slapd, PostgreSQL and an Airflow 3.3.2 venv, and `
      + `'bash .ci/tools/auth-stack.sh' could not provide them (run it as root or install its Debian packages):\n${err}`);
  }
  const kv = Object.fromEntries(out.trim().split('\n').map((l) => l.split(/=(.*)/s).slice(0, 2)));
  return { python: kv.AUTH_STACK_PYTHON, airflow: kv.AUTH_STACK_AIRFLOW, slapd: kv.SLAPD, slapadd: kv.SLAPADD, pgBin: kv.PG_BIN, openssl: kv.OPENSSL };
}

/** A free TCP port on 127.0.0.1. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as any).port;
      s.close(() => resolve(port));
    });
  });
}

/** One HTTP request with a JSON body and an optional bearer token; the reply as JSON (or as text if it is not JSON). */
export async function httpJson(base: string, method: string, path: string, token?: string, body?: unknown): Promise<{ status: number; json: any }> {
  return new Promise((resolve, reject) => {
    const req = request(base + path, {
      method,
      agent: false,
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    }, (res) => {
      let text = '';
      res.setEncoding('utf-8');
      res.on('data', (c) => { text += c; });
      res.on('end', () => {
        let json: any;
        try { json = JSON.parse(text); } catch { json = text; }
        resolve({ status: res.statusCode!, json });
      });
    });
    req.on('error', reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

export async function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Waits until `check` resolves true, or throws after `seconds` with `what` and the log tail. */
export async function waitFor(what: string, seconds: number, check: () => Promise<boolean>, logFile?: string): Promise<void> {
  const end = Date.now() + seconds * 1000;
  while (Date.now() < end) {
    if (await check().catch(() => false)) return;
    await sleep(300);
  }
  const tail = logFile ? `\n--- ${logFile} ---\n${readFileSync(logFile, 'utf-8').split('\n').slice(-40).join('\n')}` : '';
  throw new Error(`${what} not ready after ${seconds}s${tail}`);
}

export async function tcpOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = new Socket();
    s.once('connect', () => { s.destroy(); resolve(true); });
    s.once('error', () => { s.destroy(); resolve(false); });
    s.connect(port, '127.0.0.1');
  });
}

const isRoot = () => process.getuid?.() === 0;

/** The servers and the scratch directory; `stop()` ends every process it started and removes the directory. */
export class Stack {
  public readonly dir: string;
  private readonly procs: { name: string; proc: ChildProcess; signal: NodeJS.Signals }[] = [];

  constructor(public readonly tools: StackTools) {
    this.dir = mkdtempSync(join(tmpdir(), 'cdk8s-airflow-auth-'));
    chmodSync(this.dir, 0o755);
  }

  public path(...p: string[]): string {
    return join(this.dir, ...p);
  }

  /** Starts a long-running process in its own process group, output to `<dir>/<name>.log`. */
  public start(name: string, cmd: string, args: string[], opts: SpawnOptions = {}, signal: NodeJS.Signals = 'SIGTERM'): string {
    const log = this.path(`${name}.log`);
    const fd = openSync(log, 'a');
    const proc = spawn(cmd, args, { ...opts, detached: true, stdio: ['ignore', fd, fd] });
    proc.unref();
    this.procs.push({ name, proc, signal });
    return log;
  }

  /** A test CA and a server certificate for 127.0.0.1 / localhost, signed by it. */
  public makeCertificates(dirName = 'tls'): { ca: string; cert: string; key: string } {
    const o = this.tools.openssl;
    const d = this.path(dirName);
    mkdirSync(d);
    const run = (args: string[]) => execFileSync(o, args, { cwd: d, stdio: 'pipe' });
    run(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=cdk8s-airflow test CA', '-keyout', 'ca.key', '-out', 'ca.crt']);
    run(['req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=localhost', '-keyout', 'server.key', '-out', 'server.csr']);
    writeFileSync(join(d, 'san.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
    run(['x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '2', '-extfile', 'san.ext', '-out', 'server.crt']);
    chmodSync(join(d, 'server.key'), 0o644); // read by slapd (as whoever runs the test), deleted with the directory
    return { ca: join(d, 'ca.crt'), cert: join(d, 'server.crt'), key: join(d, 'server.key') };
  }

  /**
   * slapd with TLS required (security tls=1: StartTLS on `ldap://`, or `ldaps://` when `ldaps`), seeded offline with
   * slapadd from `ldif`.
   */
  public async startSlapd(port: number, suffix: string, rootDn: string, rootPw: string, ldif: string, tls: { ca: string; cert: string; key: string }, ldaps = false): Promise<void> {
    const d = this.path('slapd');
    mkdirSync(join(d, 'db'), { recursive: true });
    const conf = [
      'include /etc/ldap/schema/core.schema',
      'include /etc/ldap/schema/cosine.schema',
      'include /etc/ldap/schema/inetorgperson.schema',
      'include /etc/ldap/schema/nis.schema',
      'modulepath /usr/lib/ldap',
      'moduleload back_mdb',
      `pidfile ${join(d, 'slapd.pid')}`,
      `argsfile ${join(d, 'slapd.args')}`,
      `TLSCACertificateFile ${tls.ca}`,
      `TLSCertificateFile ${tls.cert}`,
      `TLSCertificateKeyFile ${tls.key}`,
      // No simple bind and no search without TLS.
      'security tls=1',
      'database mdb',
      'maxsize 33554432',
      `suffix "${suffix}"`,
      `rootdn "${rootDn}"`,
      `rootpw ${rootPw}`,
      `directory ${join(d, 'db')}`,
      'access to attrs=userPassword by anonymous auth by * none',
      'access to * by users read by * none',
      '',
    ].join('\n');
    writeFileSync(join(d, 'slapd.conf'), conf);
    writeFileSync(join(d, 'seed.ldif'), ldif);
    execFileSync(this.tools.slapadd, ['-f', join(d, 'slapd.conf'), '-l', join(d, 'seed.ldif')], { stdio: 'pipe' });
    const log = this.start('slapd', this.tools.slapd, ['-f', join(d, 'slapd.conf'), '-h', `${ldaps ? 'ldaps' : 'ldap'}://127.0.0.1:${port}/`, '-d', '0']);
    await waitFor('slapd', 30, () => tcpOpen(port), log);
  }

  /**
   * PostgreSQL on 127.0.0.1:`port` with database `airflow`, as a non-root user: trust on loopback, or, with a
   * `password`, password authentication (scram-sha-256) over TCP for user `airflow`.
   */
  public async startPostgres(port: number, password?: string): Promise<void> {
    const d = this.path('pg');
    mkdirSync(d);
    const data = join(d, 'data');
    const asUser: SpawnOptions = {};
    if (isRoot()) {
      // PostgreSQL refuses to run as root: use the Debian package's postgres user.
      const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf-8' }).trim());
      const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf-8' }).trim());
      chownSync(d, uid, gid);
      Object.assign(asUser, { uid, gid });
    }
    const bin = (b: string) => join(this.tools.pgBin, b);
    const auth = password === undefined ? ['--auth=trust'] : ['--auth-local=trust', '--auth-host=scram-sha-256'];
    execFileSync(bin('initdb'), ['-D', data, '-U', 'airflow', ...auth, '-E', 'UTF8', '--no-instructions'], { ...asUser as any, stdio: 'pipe', cwd: d });
    const log = this.start('postgres', bin('postgres'), [
      '-D', data, '-h', '127.0.0.1', '-p', String(port), '-k', d,
      '-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off',
    ], { ...asUser, cwd: d }, 'SIGINT');
    // Over the Unix socket in `d` (trusted in both modes).
    const psql = (sql: string) => execFileSync(bin('psql'), ['-h', d, '-p', String(port), '-U', 'airflow', '-d', 'postgres', '-v', 'ON_ERROR_STOP=1', '-tAc', sql], { stdio: 'pipe' });
    await waitFor('postgres', 60, async () => {
      try {
        psql('SELECT 1');
        return true;
      } catch { return false; }
    }, log);
    psql('CREATE DATABASE airflow');
    if (password !== undefined) {
      if (password.includes('$pw$')) throw new Error('test password must not contain $pw$');
      psql(`ALTER USER airflow PASSWORD $pw$${password}$pw$`);
    }
  }

  /** Ends every process this stack started (process groups), newest first, and removes the directory. */
  public async stop(): Promise<void> {
    for (const { proc, signal } of [...this.procs].reverse()) {
      if (proc.pid === undefined || proc.exitCode !== null) continue;
      const exited = new Promise<void>((r) => proc.once('exit', () => r()));
      try { process.kill(-proc.pid, signal); } catch { continue; }
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([exited, new Promise<void>((r) => { timer = setTimeout(r, 10_000); })]);
      clearTimeout(timer);
      if (proc.exitCode === null && proc.signalCode === null) {
        try { process.kill(-proc.pid, 'SIGKILL'); } catch { /* gone */ }
      }
    }
    if (!process.env.KEEP_AUTH_STACK) rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * A container's environment as the kubelet builds it: values with `$(VAR)` expanded from the variables defined before
 * them (`$$` for a literal `$`), Secret keys from `secrets` (`<name>/<key>`), then `overrides`.
 */
export function containerEnv(container: any, secrets: Record<string, string>, overrides: Record<string, string> = {}): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of container.env ?? []) {
    if (e.valueFrom?.secretKeyRef) {
      const ref = `${e.valueFrom.secretKeyRef.name}/${e.valueFrom.secretKeyRef.key}`;
      if (!(ref in secrets)) throw new Error(`no test value for Secret key ${ref}`);
      out[e.name] = secrets[ref];
    } else if (e.value !== undefined) {
      out[e.name] = String(e.value).replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (m, name) => (m === '$$' ? '$' : name in out ? out[name] : m));
    }
  }
  return { ...out, ...overrides };
}
