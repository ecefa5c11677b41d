/**
 * One container of a rendered pod, run as a process in a bubblewrap sandbox, the way a kubelet and a container
 * runtime would run it, as far as the end-to-end tier needs:
 *
 * - the root filesystem is the host's, read-only (every container of the chart sets readOnlyRootFilesystem; a
 *   container without it is refused, since the host root cannot be made writable), with /root hidden (an empty
 *   tmpfs), and on top of it what the container image would bring: for apache/airflow the Airflow 3.3.2 venv of
 *   .ci/tools/auth-stack.sh and its Python (read-only, at their own paths), and an image directory for
 *   /opt/airflow (AIRFLOW_HOME with the baked-in dags/ folder) and /home/airflow; for postgres and redis Debian's
 *   binaries from the host;
 * - each volumeMount at its mountPath: ConfigMaps and Secrets read-only, emptyDirs and PVCs writable host
 *   directories (see release.ts), subPath as a bind of the file or directory inside the volume; mount points the
 *   host root lacks (/data, /run/secrets/...) are created the way a runtime creates them: their parent directory
 *   becomes a tmpfs holding read-only binds of the host's entries, and is made read-only again afterwards;
 * - /etc/hosts maps the Services' DNS names and the pod's own name to 127.0.0.1 (the pod IP of every pod here),
 *   /etc/passwd and /etc/group add the UIDs the images carry (airflow 50000) or map (postgres, redis);
 * - PID, IPC and UTS namespaces of its own (hostname = the pod's name), the host's network namespace: every pod
 *   listens on 127.0.0.1 at the ports its container declares (they do not collide; release.ts checks they are free);
 * - the pod's runAsUser / runAsGroup, fsGroup and supplementalGroups as supplementary groups, every capability
 *   dropped (bounding set included) and no_new_privs (allowPrivilegeEscalation: false), through setpriv inside
 *   the sandbox (bwrap runs as root, without a user namespace, so the UIDs are the real ones on the host files).
 *
 * Exec probes run inside the same sandbox: nsenter into its mount, UTS, IPC and PID namespaces and root, then the
 * same setpriv and environment.
 */
import { ChildProcess, execFileSync, spawn } from 'child_process';
import { existsSync, lstatSync, mkdirSync, openSync, readdirSync, readlinkSync, realpathSync, statSync, closeSync, writeSync } from 'fs';
import { request } from 'http';
import { Socket } from 'net';
import { dirname, join, posix } from 'path';

export interface E2eTools {
  readonly python: string;
  readonly airflow: string;
  readonly venv: string;
  readonly pythonHome: string;
  readonly pgBin: string;
  readonly redisServer: string;
  readonly redisCli: string;
  readonly bwrap: string;
  readonly setpriv: string;
  readonly nsenter: string;
}

/** Runs .ci/tools/e2e-stack.sh (installing on first use) and returns where the tools are. */
export function e2eTools(): E2eTools {
  const script = join(__dirname, '..', '..', '.ci', 'tools', 'e2e-stack.sh');
  let out: string;
  try {
    out = execFileSync('bash', [script], { encoding: 'utf-8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 << 20 });
  } catch (e: any) {
    const err = String(e.stderr ?? '').split('\n').slice(-25).join('\n');
    throw new Error(`the end-to-end tier needs bubblewrap, PostgreSQL, redis-server and the Airflow 3.3.2 venv, and `
      + `'bash .ci/tools/e2e-stack.sh' could not provide them:\n${err}`);
  }
  const kv = Object.fromEntries(out.trim().split('\n').map((l) => l.split(/=(.*)/s).slice(0, 2)));
  return {
    python: kv.E2E_PYTHON, airflow: kv.E2E_AIRFLOW, venv: kv.E2E_VENV, pythonHome: kv.E2E_PYTHON_HOME, pgBin: kv.PG_BIN,
    redisServer: kv.REDIS_SERVER, redisCli: kv.REDIS_CLI, bwrap: kv.BWRAP, setpriv: kv.SETPRIV, nsenter: kv.NSENTER,
  };
}

/** A mount of the sandbox: `source` on the host at `target` inside. */
export interface Mount {
  readonly source: string;
  readonly target: string;
  readonly readOnly: boolean;
  /** The source is a directory (or file) this harness made and may add mount points to. */
  readonly owned: boolean;
}

/** Everything one container needs to run. */
export interface ContainerSpec {
  /** `<pod>/<container>` for logs and messages. */
  readonly id: string;
  readonly hostname: string;
  readonly argv: string[];
  readonly env: Record<string, string>;
  readonly workingDir: string;
  readonly mounts: Mount[];
  readonly uid: number;
  readonly gid: number;
  readonly groups: number[];
  readonly noNewPrivs: boolean;
  readonly logFile: string;
}

/** Host paths the sandbox never shows (beyond what is bound into them explicitly). */
const HIDDEN = new Set(['/root']);
/** Host paths replaced by the sandbox's own (/proc, /dev) or by an empty directory (/tmp: the image's, read-only). */
const SKIPPED = new Set(['/proc', '/dev', '/tmp', '/lost+found']);

/** `path` with the host's symlinks resolved as far as it exists (/var/run/postgresql -> /run/postgresql). */
export function canonical(path: string): string {
  let existing = path;
  const rest: string[] = [];
  while (!existsSync(existing)) {
    rest.unshift(posix.basename(existing));
    existing = posix.dirname(existing);
  }
  return posix.join(realpathSync(existing), ...rest);
}

const isUnder = (p: string, dir: string) => dir === '/' || p === dir || p.startsWith(`${dir}/`);

/**
 * bwrap arguments for the root filesystem and the mounts: the host root read-only, with a tmpfs (then read-only)
 * wherever a mount point has to be created in it.
 */
export function layoutArgs(mounts: Mount[]): string[] {
  const sorted = [...mounts].map((m) => ({ ...m, target: canonical(m.target) }))
    .sort((a, b) => a.target.split('/').length - b.target.split('/').length);
  // Directories of the host root that become a tmpfs with binds of their entries: '/' always, /root (hidden), and
  // the deepest existing host ancestor of each mount point that is missing on the host and not inside another mount.
  const explode = new Set<string>(['/', ...HIDDEN]);
  const mkdirs: string[] = [];
  for (const m of sorted) {
    const cover = sorted.filter((o) => o !== m && isUnder(m.target, o.target) && o.target !== m.target).pop();
    if (cover) {
      // Inside another mount: a writable one takes the mount point; a read-only one must be ours to add it to.
      const inner = join(cover.source, posix.relative(cover.target, m.target));
      if (cover.readOnly && !existsSync(inner)) {
        if (!cover.owned) throw new Error(`mount point ${m.target} does not exist in read-only ${cover.target}`);
        if (statSync(m.source).isDirectory()) mkdirSync(inner, { recursive: true });
        else { mkdirSync(dirname(inner), { recursive: true }); closeSync(openSync(inner, 'a')); }
      }
      continue;
    }
    let ancestor = m.target;
    const missing: string[] = [];
    while (!existsSync(ancestor)) { missing.unshift(ancestor); ancestor = posix.dirname(ancestor); }
    const hiddenRoot = [...HIDDEN].find((h) => isUnder(m.target, h));
    if (hiddenRoot) {
      // Every directory from the hidden root down to the mount point is an empty tmpfs.
      for (let d = posix.dirname(m.target); isUnder(d, hiddenRoot); d = posix.dirname(d)) {
        if (existsSync(d)) explode.add(d); else mkdirs.push(d);
      }
    } else if (missing.length) {
      explode.add(ancestor);
      mkdirs.push(...missing.slice(0, -1));
    }
  }
  const args: string[] = [];
  const exploded = [...explode].sort((a, b) => a.split('/').length - b.split('/').length || a.localeCompare(b));
  for (const dir of exploded) {
    args.push('--perms', '0755', '--tmpfs', dir);
    const hidden = [...HIDDEN].some((h) => isUnder(dir, h));
    if (hidden) continue;
    for (const name of readdirSync(dir)) {
      const p = posix.join(dir, name);
      if (explode.has(p)) continue;
      if (dir === '/' && SKIPPED.has(p)) continue;
      if (sorted.some((m) => m.target === p)) continue; // the mount takes its place
      const st = lstatSync(p);
      if (st.isSymbolicLink()) args.push('--symlink', readlinkSync(p), p);
      else if (st.isDirectory() || st.isFile()) args.push('--ro-bind', p, p);
      // sockets, fifos and devices of the host are left out
    }
    // /dev/shm: the runtime's own tmpfs (1777) in every container, read-only root or not (a volume may replace it).
    if (dir === '/') args.push('--dev', '/dev', '--perms', '01777', '--tmpfs', '/dev/shm', '--proc', '/proc', '--perms', '0755', '--dir', '/tmp');
  }
  for (const d of [...new Set(mkdirs)].sort((a, b) => a.split('/').length - b.split('/').length)) args.push('--perms', '0755', '--dir', d);
  for (const m of sorted) args.push(m.readOnly ? '--ro-bind' : '--bind', m.source, m.target);
  // readOnlyRootFilesystem: every tmpfs made above becomes read-only once its mount points exist.
  for (const dir of exploded.reverse()) args.push('--remount-ro', dir);
  return args;
}

function setprivArgs(c: ContainerSpec, setpriv: string): string[] {
  const groups = c.groups.length ? ['--groups', [...new Set(c.groups)].join(',')] : ['--clear-groups'];
  return [setpriv, '--reuid', String(c.uid), '--regid', String(c.gid), ...groups, '--inh-caps=-all', '--bounding-set=-all',
    ...(c.noNewPrivs ? ['--no-new-privs'] : []), '--'];
}

/** A running (or finished) container. */
export class Sandbox {
  public readonly proc: ChildProcess;
  public readonly startedAt = Date.now();
  /** PID (on the host) of the sandbox's init process, for exec probes. */
  public readonly childPid: Promise<number>;
  public readonly exited: Promise<number | null>;
  public exitCode: number | null | undefined;

  constructor(public readonly spec: ContainerSpec, private readonly tools: E2eTools) {
    const fd = openSync(spec.logFile, 'a');
    writeSync(fd, `### ${new Date().toISOString()} ${spec.id}: ${spec.argv.join(' ')}\n`);
    const args = [
      '--unshare-pid', '--unshare-ipc', '--unshare-uts', '--unshare-cgroup-try', '--hostname', spec.hostname,
      '--die-with-parent', '--info-fd', '3',
      ...layoutArgs(spec.mounts),
      '--chdir', spec.workingDir,
      '--', ...setprivArgs(spec, tools.setpriv), ...spec.argv,
    ];
    this.proc = spawn(tools.bwrap, args, { env: spec.env, detached: true, stdio: ['ignore', fd, fd, 'pipe'] });
    closeSync(fd);
    this.exited = new Promise((resolve) => this.proc.once('exit', (code, signal) => {
      this.exitCode = code ?? (signal ? -1 : null);
      resolve(this.exitCode);
    }));
    this.childPid = new Promise((resolve, reject) => {
      let info = '';
      const pipe = this.proc.stdio[3] as NodeJS.ReadableStream;
      pipe.on('data', (d) => {
        info += d.toString();
        const m = /"child-pid"\s*:\s*(\d+)/.exec(info);
        if (m) resolve(Number(m[1]));
      });
      pipe.on('error', () => undefined);
      this.exited.then(() => reject(new Error(`${spec.id} exited before its sandbox started (see ${spec.logFile})`)));
    });
    this.childPid.catch(() => undefined);
  }

  public get running(): boolean {
    return this.exitCode === undefined;
  }

  /** Runs `argv` inside this sandbox (kubectl exec / an exec probe); resolves to the exit status and output. */
  public async exec(argv: string[], timeoutSeconds: number): Promise<{ code: number | null; output: string; timedOut: boolean }> {
    const pid = await this.childPid;
    // bwrap reports its child before the mounts are in place: wait for the working directory inside.
    for (let i = 0; i < 100 && !existsSync(`/proc/${pid}/root${this.spec.workingDir}`); i++) await new Promise((r) => setTimeout(r, 100));
    // nsenter forks after entering the PID namespace; env --chdir: the container's working directory, inside.
    const p = spawn(this.tools.nsenter, ['-t', String(pid), '-m', '-u', '-i', '-p', '-r', '--',
      ...setprivArgs(this.spec, this.tools.setpriv), '/usr/bin/env', `--chdir=${this.spec.workingDir}`, '--', ...argv],
    { env: this.spec.env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    p.stdout!.on('data', (d) => { output += d; });
    p.stderr!.on('data', (d) => { output += d; });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try { process.kill(-p.pid!, 'SIGKILL'); } catch { /* gone */ }
    }, timeoutSeconds * 1000);
    const code = await new Promise<number | null>((resolve) => p.once('close', (c) => resolve(c)));
    clearTimeout(timer);
    return { code, output, timedOut };
  }

  /** SIGTERM to the container's processes, SIGKILL after `graceSeconds`. */
  public async stop(graceSeconds = 10): Promise<void> {
    if (!this.running || this.proc.pid === undefined) return;
    try { process.kill(-this.proc.pid, 'SIGTERM'); } catch { /* gone */ }
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.exited, new Promise<void>((r) => { timer = setTimeout(r, graceSeconds * 1000); })]);
    clearTimeout(timer);
    if (this.running) {
      // bwrap --die-with-parent: killing the sandbox's outer process kills everything inside it.
      try { process.kill(-this.proc.pid, 'SIGKILL'); } catch { /* gone */ }
      await this.exited;
    }
  }
}

/** HTTP GET as the kubelet probes: any status 200-399 within the timeout. */
export function httpGet(port: number, path: string, timeoutSeconds: number, headers: Record<string, string> = {}): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path, method: 'GET', timeout: timeoutSeconds * 1000, headers }, (res) => {
      res.resume();
      resolve((res.statusCode ?? 0) >= 200 && (res.statusCode ?? 0) < 400);
    });
    req.on('timeout', () => { req.destroy(); resolve(false); });
    req.on('error', () => resolve(false));
    req.end();
  });
}

export function tcpConnect(port: number, timeoutSeconds: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = new Socket();
    s.setTimeout(timeoutSeconds * 1000, () => { s.destroy(); resolve(false); });
    s.once('connect', () => { s.destroy(); resolve(true); });
    s.once('error', () => { s.destroy(); resolve(false); });
    s.connect(port, '127.0.0.1');
  });
}
