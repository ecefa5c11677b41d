/**
 * Where the benchmarks find things: the repo root, the pinned helm binary, tool versions, git and machine facts.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

/** Walks up from `start` to the folder holding this project's package.json (works from test/bench and lib/test/bench). */
export function findRepoRoot(start: string = __dirname): string {
  let dir = start;
  for (;;) {
    const pkg = path.join(dir, 'package.json');
    if (fs.existsSync(pkg) && JSON.parse(fs.readFileSync(pkg, 'utf8')).name === 'cdk8s-airflow') return dir;
    const up = path.dirname(dir);
    if (up === dir) throw new Error(`package.json of cdk8s-airflow not found above ${start}`);
    dir = up;
  }
}

/** The project's tool cache: `$CDK8S_AIRFLOW_CACHE`, else `~/.cache/cdk8s-airflow` (as .ci/tools/*.sh use it). */
export function cacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  return env.CDK8S_AIRFLOW_CACHE || path.join(env.HOME || os.homedir() || '/tmp', '.cache', 'cdk8s-airflow');
}

function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

/** Compares `v3.22.0`-style versions numerically (newest last when used to sort). */
function compareVersions(a: string, b: string): number {
  const pa = a.replace(/^v/, '').split(/[.-]/).map((x) => Number(x) || 0);
  const pb = b.replace(/^v/, '').split(/[.-]/).map((x) => Number(x) || 0);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/**
 * The helm binary to benchmark, without building or downloading anything:
 *  1. `<cache>/tools/bin/helm`;
 *  2. `<cache>/tools/helm-<version>/bin/helm`, as `.ci/tools/helm.sh` builds it (the newest version);
 *  3. `helm` on PATH.
 * Returns the path and where it was looked for (for the "skipped" reason when nothing is found).
 */
export function findHelm(env: NodeJS.ProcessEnv = process.env): { path?: string; searched: string[] } {
  const tools = path.join(cacheRoot(env), 'tools');
  const searched: string[] = [];
  const direct = path.join(tools, 'bin', 'helm');
  searched.push(direct);
  if (isExecutable(direct)) return { path: direct, searched };
  let versioned: string[] = [];
  try {
    versioned = fs.readdirSync(tools).filter((d) => /^helm-v?\d/.test(d)).sort((a, b) => compareVersions(a.slice(5), b.slice(5)));
  } catch {
    // no tools folder yet
  }
  searched.push(path.join(tools, 'helm-<version>', 'bin', 'helm'));
  for (const d of versioned.reverse()) {
    const bin = path.join(tools, d, 'bin', 'helm');
    if (isExecutable(bin)) return { path: bin, searched };
  }
  searched.push('helm on PATH');
  for (const dir of (env.PATH ?? '').split(path.delimiter).filter(Boolean)) {
    const bin = path.join(dir, 'helm');
    if (isExecutable(bin)) return { path: bin, searched };
  }
  return { searched };
}

/** stdout of a command, trimmed; undefined when it cannot run. */
export function tryOutput(cmd: string, args: string[], cwd?: string): string | undefined {
  try {
    return execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 30_000 }).trim();
  } catch {
    return undefined;
  }
}

/** Version from an installed package's package.json, resolved from the repo root. */
export function packageVersion(repoRoot: string, name: string): string {
  try {
    return JSON.parse(fs.readFileSync(require.resolve(`${name}/package.json`, { paths: [repoRoot] }), 'utf8')).version;
  } catch {
    return 'not found';
  }
}

/** /proc/loadavg's three averages (os.loadavg() elsewhere). */
export function loadAverage(): number[] {
  try {
    return fs.readFileSync('/proc/loadavg', 'utf8').trim().split(/\s+/).slice(0, 3).map(Number);
  } catch {
    return os.loadavg();
  }
}

/** Aggregate CPU counters from /proc/stat (jiffies): busy and total over all cores; undefined where /proc is missing. */
export function cpuCounters(): { busy: number; total: number } | undefined {
  try {
    const f = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal (guest time is already in user)
    const total = f.slice(0, 8).reduce((a, b) => a + b, 0);
    return { busy: total - f[3] - f[4], total };
  } catch {
    return undefined;
  }
}

/** Share of all cores' time busy between two cpuCounters() readings. */
export function busyShare(a: ReturnType<typeof cpuCounters>, b: ReturnType<typeof cpuCounters>): number | undefined {
  if (!a || !b || b.total <= a.total) return undefined;
  return Math.min(1, Math.max(0, (b.busy - a.busy) / (b.total - a.total)));
}

/** HEAD commit and whether the work tree differs from it; read-only (no index refresh, no lock). */
export function gitState(repoRoot: string): { commit: string; dirty: boolean } {
  const commit = tryOutput('git', ['rev-parse', 'HEAD'], repoRoot) ?? 'unknown';
  const status = tryOutput('git', ['--no-optional-locks', 'status', '--porcelain'], repoRoot);
  return { commit, dirty: status === undefined ? true : status.length > 0 };
}

/** Whether package.json has an npm script called `name` (e.g. `chart`, added by the Helm work). */
export function hasNpmScript(repoRoot: string, name: string): boolean {
  const pkg = JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8'));
  return typeof pkg.scripts?.[name] === 'string';
}
