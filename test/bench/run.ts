/**
 * `npm run bench`: measures synthesis and chart-rendering speed and memory on this machine (issue 5), writes
 * test/bench/results.json, prints a Markdown table and refreshes the README "Performance" section.
 * It only measures: a slow figure never fails it. A command that errors is recorded as `failed` with the reason,
 * and a benchmark whose tool or task does not exist yet is recorded as `skipped` with the reason, never a number.
 *
 *   npm run bench                          # everything (several minutes; npm test is the longest part)
 *   npm run bench -- --only synth,scale    # groups: synth, scale, chart, helm, test
 *   npm run bench -- --readme-only         # re-render the README section from results.json
 *   npm run bench -- --only scale --sizes 500 --cpu-prof /tmp/prof   # V8 CPU profiles of every timed node process
 *                                          # (profiling slows them, so results.json and the README stay untouched);
 *                                          # summarize one with: node lib/test/bench/profile-summary.js <file>
 *
 * Runs compiled (lib/test/bench/run.js; the bench task compiles it): the children it times are separate
 * processes, so nothing of this harness sits in their figures.
 */
import { spawnSync, SpawnSyncOptions } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { performance } from 'perf_hooks';
import { parseArgs } from 'util';
import * as YAML from 'yaml';
import { chartAllOnValues } from './all-on';
import {
  BenchmarkResult, evaluateTargets, LoadAverage, measured, notMeasured, renderReadmeSection, renderScaling, renderTable,
  Results, scalingFrom, spliceReadme, validateResults,
} from './results';
import type { WorkerReport } from './scale-worker';
import { busyShare, cpuCounters, findHelm, findRepoRoot, gitState, hasNpmScript, loadAverage, packageVersion, tryOutput } from './tools';

const GROUPS = ['synth', 'scale', 'chart', 'helm', 'test'] as const;

interface Options {
  readonly reps: number;
  readonly scaleReps: number;
  readonly bigReps: number;
  readonly sizes: number[];
  readonly testReps: number;
  readonly warmup: number;
  readonly only: Set<string>;
  readonly out: string;
  readonly readme: boolean;
  readonly readmeOnly: boolean;
  /** Folder for V8 CPU profiles of the timed processes (one subfolder per benchmark); the figures are then not kept. */
  readonly cpuProf?: string;
  /** Whether --out was given (with --cpu-prof, results are written only to an explicit --out). */
  readonly explicitOut: boolean;
}

function positiveInt(name: string, raw: string, min = 1): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be an integer of at least ${min}, got '${raw}'`);
  return n;
}

function parseOptions(argv: string[], root: string): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      'reps': { type: 'string', default: '5' },
      'scale-reps': { type: 'string', default: '5' },
      'big-reps': { type: 'string', default: '3' },
      'sizes': { type: 'string', default: '1,10,100,500' },
      'test-reps': { type: 'string', default: '2' },
      'warmup': { type: 'string', default: '1' },
      'only': { type: 'string', default: GROUPS.join(',') },
      'out': { type: 'string', default: path.join(root, 'test', 'bench', 'results.json') },
      'no-readme': { type: 'boolean', default: false },
      'readme-only': { type: 'boolean', default: false },
      'cpu-prof': { type: 'string' },
    },
    strict: true,
  });
  const only = new Set(values.only!.split(',').map((s) => s.trim()).filter(Boolean));
  for (const g of only) if (!(GROUPS as readonly string[]).includes(g)) throw new Error(`--only takes ${GROUPS.join(', ')}, got '${g}'`);
  return {
    reps: positiveInt('reps', values.reps!),
    scaleReps: positiveInt('scale-reps', values['scale-reps']!),
    bigReps: positiveInt('big-reps', values['big-reps']!),
    sizes: values.sizes!.split(',').map((s) => positiveInt('sizes', s.trim())),
    testReps: positiveInt('test-reps', values['test-reps']!),
    warmup: positiveInt('warmup', values.warmup!, 0),
    only,
    out: path.resolve(values.out!),
    readme: !values['no-readme'],
    readmeOnly: values['readme-only']!,
    cpuProf: values['cpu-prof'] === undefined ? undefined : path.resolve(values['cpu-prof']),
    explicitOut: argv.some((a) => a === '--out' || a.startsWith('--out=')),
  };
}

interface LoadMeter { done(): LoadAverage }

let profileRoot: string | undefined;

/**
 * Called as each benchmark starts: notes the load average and CPU counters (done() adds the load average then and
 * the share of CPU busy in between), and with --cpu-prof points the profiles at a folder named after the benchmark.
 */
function startLoad(name?: string): LoadMeter {
  if (profileRoot && name) profileDir = path.join(profileRoot, name);
  const before = loadAverage();
  const c0 = cpuCounters();
  return {
    done: () => {
      const busy = busyShare(c0, cpuCounters());
      return { before, after: loadAverage(), ...(busy === undefined ? {} : { busy }) };
    },
  };
}

const log = (msg: string) => process.stderr.write(`[bench] ${msg}\n`);

let clockTicks: number | undefined;

/**
 * CPU time (user + system) of every child process this process has waited for, in ms, from /proc/self/stat's
 * cutime and cstime (a child's own waited-for children are included). Undefined where /proc is missing.
 */
function childrenCpuMs(): number | undefined {
  try {
    const stat = fs.readFileSync('/proc/self/stat', 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // fields from #3 (state) on
    clockTicks ??= Number(tryOutput('getconf', ['CLK_TCK'])) || 100;
    return ((Number(fields[13]) + Number(fields[14])) * 1000) / clockTicks; // #16 cutime, #17 cstime
  } catch {
    return undefined;
  }
}

interface Run {
  readonly ms: number;
  /** CPU time of the command and its children (10 ms resolution), when known. */
  readonly cpuMs?: number;
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** Last lines of stderr (and stdout when the command failed). */
  readonly tail: string;
}

/** With --cpu-prof: where the profiles of the benchmark running now go. */
let profileDir: string | undefined;

/** Runs a command to completion and times it from the parent (whole process: start, work, exit). */
function timed(cmd: string, args: string[], opts: SpawnSyncOptions = {}): Run {
  // Node 20 refuses --cpu-prof in NODE_OPTIONS, so only processes started as `node ...` here are profiled.
  if (profileDir && cmd === process.execPath) args = ['--cpu-prof', `--cpu-prof-dir=${profileDir}`, ...args];
  const cpu0 = childrenCpuMs();
  const t0 = performance.now();
  const r = spawnSync(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 512 * 1024 * 1024, ...opts });
  const ms = performance.now() - t0;
  const cpu1 = childrenCpuMs();
  if (r.error) throw r.error;
  const stdout = r.stdout?.toString() ?? '';
  const stderr = r.stderr?.toString() ?? '';
  const tail = `${r.status === 0 ? '' : stdout}${stderr}`.trim().split('\n').slice(-15).join('\n');
  return { ms, cpuMs: cpu0 === undefined || cpu1 === undefined ? undefined : cpu1 - cpu0, status: r.status, stdout, stderr, tail };
}

function shellQuote(args: string[]): string {
  return args.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, "'\\''")}'`)).join(' ');
}

type Base = Omit<BenchmarkResult, 'status' | 'samples' | 'min' | 'median' | 'max' | 'reason'>;

/**
 * Times `reps` runs of a command after `warmup` unrecorded ones. `check` may reject a run that exited 0 but did
 * not produce what it should (it returns the reason).
 */
function benchCommand(base: Base, cmd: string, args: string[], reps: number, warmup: number, opts: SpawnSyncOptions & {
  before?: () => void;
  check?: (r: Run) => string | undefined;
} = {}): BenchmarkResult {
  log(`${base.name}: ${base.command ?? shellQuote([cmd, ...args])} (${warmup} warm-up + ${reps} runs)`);
  const meter = startLoad(base.name);
  const samples: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < warmup + reps; i++) {
    opts.before?.();
    const r = timed(cmd, args, opts);
    const problem = r.status !== 0 ? `exited ${r.status}: ${r.tail}` : opts.check?.(r);
    if (problem) return notMeasured({ ...base, loadavg: meter.done() }, 'failed', problem, samples);
    if (i < warmup) continue;
    samples.push(r.ms);
    if (r.cpuMs !== undefined) cpu.push(r.cpuMs);
  }
  const result = measured({ ...base, warmup, loadavg: meter.done() }, samples, cpu);
  log(`  median ${Math.round(result.median!)} ms (min ${Math.round(result.min!)}, max ${Math.round(result.max!)})`);
  return result;
}

/** Runs the worker once; returns its report and the parent-measured process wall time. */
function runWorker(root: string, args: string[], outdir: string): { report: WorkerReport; processMs: number } {
  fs.rmSync(outdir, { recursive: true, force: true });
  const r = timed(process.execPath, [path.join(__dirname, 'scale-worker.js'), ...args, '--outdir', outdir], { cwd: root });
  if (r.status !== 0) throw new Error(`scale-worker ${args.join(' ')} exited ${r.status}: ${r.tail}`);
  const report = JSON.parse(r.stdout.trim().split('\n').pop()!) as WorkerReport;
  return { report, processMs: r.ms };
}

function synthBenchmarks(root: string, tmp: string, o: Options): BenchmarkResult[] {
  const env = { ...process.env, CDK8S_CHECK_UPGRADE: 'false' };
  const out = path.join(tmp, 'synth');
  const wroteDefault = () => (fs.existsSync(path.join(out, 'airflow.k8s.yaml')) ? undefined : `no ${out}/airflow.k8s.yaml written`);
  const clean = () => fs.rmSync(out, { recursive: true, force: true });
  const app = 'node lib/examples/default.js';
  const results: BenchmarkResult[] = [];
  results.push(benchCommand({
    name: 'cdk8s-synth.default',
    description: 'cold `cdk8s synth` of the default example (whole CLI process)',
    unit: 'ms',
    command: `cdk8s synth --app "${app}" --output <tmp>`,
    notes: ['the project\'s cdk8s-cli (node_modules/.bin/cdk8s, started as `node <its script>`), as `npm run synth` runs it; CDK8S_CHECK_UPGRADE=false as in the synth task'],
  }, process.execPath, [fs.realpathSync(path.join(root, 'node_modules', '.bin', 'cdk8s')), 'synth', '--app', app, '--output', out], o.reps, o.warmup, { cwd: root, env, before: clean, check: wroteDefault }));
  results.push(benchCommand({
    name: 'cdk8s-synth.default.npx',
    description: 'the same through `npx cdk8s synth`',
    unit: 'ms',
    command: `npx cdk8s synth --app "${app}" --output <tmp>`,
  }, 'npx', ['--no-install', 'cdk8s', 'synth', '--app', app, '--output', out], o.reps, o.warmup, { cwd: root, env, before: clean, check: wroteDefault }));
  results.push(benchCommand({
    name: 'node-app.default',
    description: '`node lib/examples/default.js` (whole process, no CLI)',
    unit: 'ms',
    command: 'CDK8S_OUTDIR=<tmp> node lib/examples/default.js',
  }, process.execPath, ['lib/examples/default.js'], o.reps, o.warmup, { cwd: root, env: { ...env, CDK8S_OUTDIR: out }, before: clean, check: wroteDefault }));

  // Library synthesis alone: in one fresh process, require + construct + synth, timed inside the process.
  log(`library-synth.default: ${o.warmup} warm-up + ${o.reps} runs`);
  const meter = startLoad('library-synth.default');
  const samples: number[] = [];
  const cpu: number[] = [];
  const details: Array<Record<string, number>> = [];
  try {
    for (let i = 0; i < o.warmup + o.reps; i++) {
      const { report, processMs } = runWorker(root, ['--example', 'default'], out);
      if (report.files !== 1) throw new Error(`expected 1 manifest file, got ${report.files}`);
      if (i < o.warmup) continue;
      samples.push(report.totalMs);
      cpu.push(report.cpuMs);
      details.push({ loadMs: report.loadMs, constructMs: report.constructMs, synthMs: report.synthMs, sinceProcessStartMs: report.sinceProcessStartMs, processMs, maxRssMiB: report.maxRssKiB / 1024 });
    }
    results.push(measured({
      name: 'library-synth.default',
      description: 'library synthesis of the default example, in process: require + construct + `app.synth()`',
      unit: 'ms',
      command: 'node lib/test/bench/scale-worker.js --example default --outdir <tmp>',
      warmup: o.warmup,
      loadavg: meter.done(),
      details: { perRun: details },
    }, samples, cpu));
  } catch (e) {
    results.push(notMeasured({ name: 'library-synth.default', description: 'library synthesis of the default example, in process', unit: 'ms', loadavg: meter.done() }, 'failed', String(e), samples));
  }
  return results;
}

function scaleBenchmarks(root: string, tmp: string, o: Options): BenchmarkResult[] {
  const results: BenchmarkResult[] = [];
  for (const n of o.sizes) {
    const reps = n > 100 ? o.bigReps : o.scaleReps;
    log(`scale.${n}: ${n} AirflowCharts in one App, a fresh process per run, ${reps} runs`);
    const meter = startLoad(`scale.${n}`);
    const wall: number[] = [];
    const cpu: number[] = [];
    const rss: number[] = [];
    const perRun: Array<Record<string, number>> = [];
    const command = `node lib/test/bench/scale-worker.js --charts ${n} --outdir <tmp>`;
    try {
      for (let i = 0; i < reps; i++) {
        const { report, processMs } = runWorker(root, ['--charts', String(n)], path.join(tmp, `scale-${n}`));
        if (report.files !== n) throw new Error(`expected ${n} manifest files, got ${report.files}`);
        wall.push(report.totalMs);
        cpu.push(report.cpuMs);
        rss.push(report.maxRssKiB / 1024);
        perRun.push({
          loadMs: report.loadMs, constructMs: report.constructMs, synthMs: report.synthMs, processMs,
          vmHwmMiB: report.vmHwmKiB / 1024, heapUsedMiB: report.heapUsedMiB, manifestBytes: report.bytes,
        });
      }
      const loadavg = meter.done();
      results.push(measured({
        name: `scale.${n}.wall`,
        description: `${n} AirflowChart${n === 1 ? '' : 's'} in one App: require + construct + synth`,
        unit: 'ms', command, loadavg, details: { perRun },
      }, wall, cpu));
      results.push(measured({
        name: `scale.${n}.peak-rss`,
        description: `${n} AirflowChart${n === 1 ? '' : 's'} in one App: peak RSS of the process`,
        unit: 'MiB', command, loadavg, notes: ['process.resourceUsage().maxRSS; VmHWM per run in the wall entry\'s details'],
      }, rss));
      log(`  median ${Math.round(results[results.length - 2].median!)} ms, ${Math.round(results[results.length - 1].median!)} MiB`);
    } catch (e) {
      const loadavg = meter.done();
      results.push(notMeasured({ name: `scale.${n}.wall`, description: `${n} AirflowCharts in one App`, unit: 'ms', command, loadavg }, 'failed', String(e), wall));
      results.push(notMeasured({ name: `scale.${n}.peak-rss`, description: `${n} AirflowCharts in one App: peak RSS`, unit: 'MiB', command, loadavg }, 'failed', String(e), rss));
    }
  }
  return results;
}

/** A copy of the repo (node_modules linked, not copied) where `npm run chart` can start from no charts/airflow. */
function scratchCopy(root: string, dest: string): void {
  const skip = new Set(['node_modules', '.git', 'dist', 'test-reports', 'coverage']);
  fs.cpSync(root, dest, {
    recursive: true,
    preserveTimestamps: true, // keeps tsc --build's incremental state valid in the copy
    filter: (src) => !skip.has(path.relative(root, src).split(path.sep)[0]),
  });
  fs.symlinkSync(path.join(root, 'node_modules'), path.join(dest, 'node_modules'), 'dir');
}

/** `npm run chart` from scratch; returns the emitted chart folder when it succeeded. */
function chartBenchmark(root: string, tmp: string, o: Options): { result: BenchmarkResult; chartDir?: string } {
  const base: Base = {
    name: 'chart.emit',
    description: '`npm run chart`: emit charts/airflow from scratch',
    unit: 'ms',
    command: 'rm -rf charts/airflow && npm run chart',
    notes: ['run in a scratch copy of the repo (node_modules linked) so the committed chart is never touched'],
  };
  if (!hasNpmScript(root, 'chart')) {
    return { result: notMeasured(base, 'skipped', 'no `chart` script in package.json yet (the Helm chart generator, issue 3, is not in this tree)') };
  }
  const copy = path.join(tmp, 'repo');
  scratchCopy(root, copy);
  const chartDir = path.join(copy, 'charts', 'airflow');
  const result = benchCommand(base, 'npm', ['run', 'chart', '--silent'], o.reps, o.warmup, {
    cwd: copy,
    env: { ...process.env, CDK8S_CHECK_UPGRADE: 'false' },
    before: () => fs.rmSync(chartDir, { recursive: true, force: true }),
    check: () => (fs.existsSync(path.join(chartDir, 'Chart.yaml')) ? undefined : 'npm run chart exited 0 but wrote no charts/airflow/Chart.yaml'),
  });
  return { result, chartDir: result.status === 'ok' ? chartDir : undefined };
}

function helmBenchmarks(root: string, tmp: string, o: Options, emitted: string | undefined): BenchmarkResult[] {
  const defaults: Base = {
    name: 'helm-template.default',
    description: '`helm template` of the emitted chart, default values',
    unit: 'ms',
  };
  const allOn: Base = {
    name: 'helm-template.all-on',
    description: '`helm template` of the emitted chart, every optional component on',
    unit: 'ms',
  };
  const helm = findHelm();
  if (!helm.path) {
    const reason = `no helm binary (looked in ${helm.searched.join(', ')}; .ci/tools/helm.sh builds the pinned one)`;
    return [notMeasured(defaults, 'skipped', reason), notMeasured(allOn, 'skipped', reason)];
  }
  const committed = path.join(root, 'charts', 'airflow');
  const chartDir = emitted ?? (fs.existsSync(path.join(committed, 'Chart.yaml')) ? committed : undefined);
  if (!chartDir) {
    const reason = 'no chart to render: `npm run chart` did not emit one and charts/airflow/Chart.yaml does not exist';
    return [notMeasured(defaults, 'skipped', reason), notMeasured(allOn, 'skipped', reason)];
  }
  const source = chartDir === committed ? 'the committed charts/airflow' : 'the chart `npm run chart` just emitted';
  const args = ['template', 'airflow', chartDir, '--namespace', 'airflow'];
  const rendered = (r: Run) => (/^kind:/m.test(r.stdout) ? undefined : 'helm template printed no manifests');
  const results = [benchCommand({ ...defaults, command: `helm template airflow charts/airflow --namespace airflow`, notes: [`helm: ${helm.path}`, `chart: ${source}`] },
    helm.path, args, o.reps, o.warmup, { cwd: root, check: rendered })];

  // Every optional component on: a chart-testing style ci/*all*values file when the chart has one, else every
  // `enabled: false` in its values.yaml turned on.
  let valuesFile: string;
  let how: string;
  const ciDir = path.join(chartDir, 'ci');
  const ciFile = fs.existsSync(ciDir) ? fs.readdirSync(ciDir).find((f) => /all|every/i.test(f) && /\.ya?ml$/.test(f)) : undefined;
  if (ciFile) {
    valuesFile = path.join(ciDir, ciFile);
    how = `values: ci/${ciFile} of the chart`;
  } else {
    const valuesYaml = path.join(chartDir, 'values.yaml');
    if (!fs.existsSync(valuesYaml)) return [...results, notMeasured(allOn, 'failed', `${valuesYaml} does not exist`)];
    const { values, flipped } = chartAllOnValues(YAML.parse(fs.readFileSync(valuesYaml, 'utf8')));
    if (flipped.length === 0) return [...results, notMeasured(allOn, 'skipped', 'values.yaml has no `enabled: false` switch to turn on')];
    valuesFile = path.join(tmp, 'all-on-values.yaml');
    fs.writeFileSync(valuesFile, YAML.stringify(values));
    how = `values.yaml with every \`enabled: false\` turned on: ${flipped.join(', ')}`;
  }
  results.push(benchCommand({ ...allOn, command: 'helm template airflow charts/airflow --namespace airflow -f <all-on values>', notes: [`helm: ${helm.path}`, `chart: ${source}`, how] },
    helm.path, [...args, '-f', valuesFile], o.reps, o.warmup, { cwd: root, check: rendered }));
  return results;
}

function testBenchmark(root: string, o: Options): BenchmarkResult {
  const base: Base = {
    name: 'npm-test',
    description: '`npm test` (type-check + jest, validation tools cached)',
    unit: 'ms',
    command: 'npm test',
  };
  log(`npm-test: ${o.testReps} run(s), no warm-up`);
  const meter = startLoad('npm-test');
  const samples: number[] = [];
  const cpu: number[] = [];
  const failures: string[] = [];
  const tails: string[] = [];
  for (let i = 0; i < o.testReps; i++) {
    const r = timed('npm', ['test', '--silent'], { cwd: root, env: { ...process.env, CDK8S_CHECK_UPGRADE: 'false' } });
    samples.push(r.ms);
    if (r.cpuMs !== undefined) cpu.push(r.cpuMs);
    if (r.status !== 0) {
      // jest's summary lines and the names of the failing tests say what failed; the tail goes to details.
      const lines = `${r.stdout}\n${r.stderr}`.split('\n').map((l) => l.trim());
      const summary = lines.filter((l) => /^(Tests|Test Suites):/.test(l)).map((l) => l.replace(/\s+/g, ' '));
      const failing = [...new Set(lines.filter((l) => /^● .+ › /.test(l)).map((l) => l.slice(2)))];
      const named = failing.length ? `; failing: ${failing.slice(0, 5).join('; ')}${failing.length > 5 ? ` and ${failing.length - 5} more` : ''}` : '';
      failures.push(`run ${i + 1} exited ${r.status}${summary.length ? ` (${summary.join(', ')}${named})` : named}`);
      tails.push(r.tail);
    }
    log(`  ${Math.round(r.ms)} ms, exit ${r.status}`);
  }
  const loadavg = meter.done();
  // The time of a failing suite is not the time of the suite: keep the samples, but say it failed.
  if (failures.length) {
    return notMeasured({ ...base, loadavg, details: { outputTails: tails } }, 'failed', `the suite failed, so these times are not the suite's: ${failures.join('; ')}`, samples);
  }
  return measured({ ...base, warmup: 0, loadavg }, samples, cpu);
}

function environment(root: string, runLoad: LoadMeter): Results['environment'] {
  const helm = findHelm();
  const cpus = os.cpus();
  return {
    node: process.version,
    os: { platform: os.platform(), release: os.release(), arch: os.arch() },
    cpu: { model: cpus[0]?.model ?? 'unknown', cores: cpus.length },
    memoryMiB: Math.round(os.totalmem() / 1024 / 1024),
    loadavg: runLoad.done(),
    git: gitState(root),
    tools: {
      'npm': tryOutput('npm', ['--version'], root) ?? 'not found',
      'cdk8s-cli': packageVersion(root, 'cdk8s-cli'),
      'cdk8s': packageVersion(root, 'cdk8s'),
      'cdk8s-plus-27': packageVersion(root, 'cdk8s-plus-27'),
      'constructs': packageVersion(root, 'constructs'),
      'typescript': packageVersion(root, 'typescript'),
      'jest': packageVersion(root, 'jest'),
      'helm': helm.path ? `${tryOutput(helm.path, ['version', '--short']) ?? 'unknown version'} (${helm.path})` : 'not found',
    },
  };
}

function writeReadme(root: string, results: Results): void {
  const file = path.join(root, 'README.md');
  fs.writeFileSync(file, spliceReadme(fs.readFileSync(file, 'utf8'), renderReadmeSection(results)));
  log(`README.md Performance section updated`);
}

function main(): void {
  const root = findRepoRoot();
  const o = parseOptions(process.argv.slice(2), root);
  if (o.readmeOnly) {
    const results = validateResults(JSON.parse(fs.readFileSync(o.out, 'utf8')));
    writeReadme(root, results);
    return;
  }
  for (const f of ['lib/src/index.js', 'lib/examples/default.js']) {
    if (!fs.existsSync(path.join(root, f))) throw new Error(`${f} is missing: run \`npm run compile\` first (\`npm run bench\` does)`);
  }
  profileRoot = o.cpuProf;
  const runLoad = startLoad();
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk8s-airflow-bench-'));
  const benchmarks: BenchmarkResult[] = [];
  try {
    if (o.only.has('synth')) benchmarks.push(...synthBenchmarks(root, tmp, o));
    if (o.only.has('scale')) benchmarks.push(...scaleBenchmarks(root, tmp, o));
    let emitted: string | undefined;
    if (o.only.has('chart')) {
      const chart = chartBenchmark(root, tmp, o);
      benchmarks.push(chart.result);
      emitted = chart.chartDir;
    }
    if (o.only.has('helm')) benchmarks.push(...helmBenchmarks(root, tmp, o, emitted));
    if (o.only.has('test')) benchmarks.push(testBenchmark(root, o));
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  const scaling = scalingFrom(benchmarks);
  const results: Results = validateResults({
    schemaVersion: 1,
    generatedAt: new Date().toISOString(),
    command: `npm run bench${process.argv.length > 2 ? ` -- ${shellQuote(process.argv.slice(2))}` : ''}`,
    environment: environment(root, runLoad),
    benchmarks,
    ...(scaling ? { scaling } : {}),
    targets: evaluateTargets(benchmarks, scaling),
  });
  const keep = !o.cpuProf || o.explicitOut;
  if (keep) {
    fs.mkdirSync(path.dirname(o.out), { recursive: true });
    fs.writeFileSync(o.out, `${JSON.stringify(results, null, 2)}\n`);
    log(`wrote ${path.relative(process.cwd(), o.out) || o.out}`);
  } else {
    log(`profiles in ${o.cpuProf}; figures measured under the profiler, so ${path.relative(root, o.out)} is left as it was`);
  }

  process.stdout.write(`\n${renderTable(results)}\n\n${renderScaling(results.scaling)}\n\n`);
  for (const t of results.targets) process.stdout.write(`- ${t.status.toUpperCase()}: ${t.name}${t.value === undefined ? '' : ` (median ${t.value.toFixed(t.unit === 'ms' ? 0 : 1)} ${t.unit})`}${t.note ? ` (${t.note})` : ''}\n`);
  const failed = benchmarks.filter((b) => b.status === 'failed');
  if (failed.length) log(`${failed.length} benchmark(s) could not be measured (see results.json): ${failed.map((b) => b.name).join(', ')}`);
  if (keep && o.readme && o.out === path.join(root, 'test', 'bench', 'results.json')) writeReadme(root, results);
}

main();
