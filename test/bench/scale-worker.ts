/**
 * Child process of `npm run bench`: synthesizes in one fresh Node process and prints one JSON line of timings and
 * peak memory. Runs compiled (lib/test/bench/scale-worker.js) against the compiled library (lib/src), as users run
 * it, so no TypeScript compiler sits in the measured time or memory.
 *
 *   node lib/test/bench/scale-worker.js --charts 100 --outdir /tmp/x   # 100 AirflowCharts in one App
 *   node lib/test/bench/scale-worker.js --example default --outdir /tmp/x
 */
import * as fs from 'fs';
import * as path from 'path';
import { performance } from 'perf_hooks';
import { parseArgs } from 'util';
import { findRepoRoot } from './tools';

/** What the worker prints (one JSON line on stdout). */
export interface WorkerReport {
  readonly charts: number;
  /** require() of cdk8s and the library. */
  readonly loadMs: number;
  /** Constructing the charts. */
  readonly constructMs: number;
  /** app.synth(): resolving, validating and writing YAML files. */
  readonly synthMs: number;
  /** load + construct + synth. */
  readonly totalMs: number;
  /** CPU time (user + system, all threads) of load + construct + synth. */
  readonly cpuMs: number;
  /** From the process's time origin (Node start) to the end of synth. */
  readonly sinceProcessStartMs: number;
  /** process.resourceUsage().maxRSS, in KiB. */
  readonly maxRssKiB: number;
  /** VmHWM from /proc/self/status, in KiB (-1 where /proc is missing). */
  readonly vmHwmKiB: number;
  readonly heapUsedMiB: number;
  readonly files: number;
  readonly bytes: number;
}

function vmHwmKiB(): number {
  try {
    const m = /^VmHWM:\s+(\d+)\s+kB/m.exec(fs.readFileSync('/proc/self/status', 'utf8'));
    return m ? Number(m[1]) : -1;
  } catch {
    return -1;
  }
}

function main(): void {
  const { values } = parseArgs({ options: { charts: { type: 'string' }, example: { type: 'string' }, outdir: { type: 'string' } } });
  if (!values.outdir) throw new Error('--outdir is required');
  if ((values.charts === undefined) === (values.example === undefined)) throw new Error('pass exactly one of --charts N or --example default');
  const root = findRepoRoot();
  const libIndex = path.join(root, 'lib', 'src', 'index.js');
  const libDefault = path.join(root, 'lib', 'examples', 'default.js');

  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  // Typed by hand so this file compiles without pulling src/ into the bench's own build.
  const { App } = require('cdk8s') as typeof import('cdk8s');
  const { AirflowChart } = require(libIndex) as {
    AirflowChart: new (scope: unknown, id: string, props: { releaseName?: string; namespace?: string }) => unknown;
  };
  const example = values.example === undefined ? undefined
    : (require(libDefault) as Record<string, (scope: unknown) => unknown>)[`${values.example}Example`];
  if (values.example !== undefined && !example) throw new Error(`no ${values.example}Example in ${libDefault}`);
  const t1 = performance.now();

  const app = new App({ outdir: values.outdir });
  let charts = 1;
  if (example) {
    example(app);
  } else {
    charts = Number(values.charts);
    if (!Number.isInteger(charts) || charts < 1) throw new Error(`--charts must be a positive integer, got '${values.charts}'`);
    for (let i = 0; i < charts; i++) {
      // Distinct release names and namespaces, as one release per team or tenant.
      new AirflowChart(app, `team-${i}`, { releaseName: `team-${i}`, namespace: `tenant-${i}` });
    }
  }
  const t2 = performance.now();
  app.synth();
  const t3 = performance.now();
  const cpu = process.cpuUsage(cpu0);

  const maxRssKiB = process.resourceUsage().maxRSS;
  const files = fs.readdirSync(values.outdir).filter((f) => f.endsWith('.yaml'));
  const report: WorkerReport = {
    charts,
    loadMs: t1 - t0,
    constructMs: t2 - t1,
    synthMs: t3 - t2,
    totalMs: t3 - t0,
    cpuMs: (cpu.user + cpu.system) / 1000,
    sinceProcessStartMs: t3,
    maxRssKiB,
    vmHwmKiB: vmHwmKiB(),
    heapUsedMiB: process.memoryUsage().heapUsed / 1024 / 1024,
    files: files.length,
    bytes: files.reduce((n, f) => n + fs.statSync(path.join(values.outdir!, f)).size, 0),
  };
  process.stdout.write(`${JSON.stringify(report)}\n`);
}

main();
