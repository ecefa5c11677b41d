/**
 * The results model of `npm run bench`: what test/bench/results.json holds, its JSON schema, the targets from
 * issue 5, and the Markdown renderings (console table and the README "Performance" section). Pure: no I/O.
 */
import Ajv from 'ajv';
import { analyzeGrowth, GrowthAnalysis, summarize } from './stats';

export type Unit = 'ms' | 'MiB';
export type BenchStatus = 'ok' | 'skipped' | 'failed';

export interface LoadAverage {
  /** /proc/loadavg's 1, 5 and 15 minute averages (os.loadavg() where /proc is missing). */
  readonly before: number[];
  readonly after: number[];
  /**
   * Share of all cores' time that was busy (any process, this benchmark's included) while the benchmark ran, from
   * /proc/stat. The load average also counts blocked processes; this says whether the CPUs were actually contended.
   * A single-threaded benchmark alone on 2 cores shows about 0.5.
   */
  readonly busy?: number;
}

export interface BenchmarkResult {
  /** Stable id, e.g. `cdk8s-synth.default`, `scale.100.wall`. */
  readonly name: string;
  readonly description: string;
  readonly unit: Unit;
  readonly status: BenchStatus;
  /** Every measured repetition, in run order (empty when skipped or failed before any sample). */
  readonly samples: number[];
  readonly min?: number;
  readonly median?: number;
  readonly max?: number;
  /** Why the benchmark was skipped or failed. */
  readonly reason?: string;
  /** The command measured, as a user would type it. */
  readonly command?: string;
  /** Unrecorded runs before the samples (they warm the OS file cache, never the process). */
  readonly warmup?: number;
  readonly loadavg?: LoadAverage;
  /**
   * CPU time (user + system, every thread and child process) per sample, in ms: less sensitive than wall time to
   * other jobs on the machine. Same order as `samples`.
   */
  readonly cpu?: { readonly samples: number[]; readonly median: number };
  readonly notes?: string[];
  /** Per-sample breakdown and anything else worth keeping (free-form). */
  readonly details?: Record<string, unknown>;
}

export interface GrowthResult {
  readonly unit: Unit;
  /** Cost of one more chart, from the least-squares line over every size. */
  readonly slopePerChart: number;
  readonly intercept: number;
  readonly r2: number;
  readonly segments: Array<{ from: number; to: number; slope: number }>;
  readonly marginalRatio?: number;
  readonly growth: 'linear' | 'sublinear' | 'superlinear' | 'irregular';
  /** Linear or sublinear: what the "cost linear in the number of charts" target asks. */
  readonly atMostLinear: boolean;
  readonly verdict: string;
}

export interface ScalingResult {
  readonly sizes: number[];
  /** Medians per size of construct + synth wall time, and of peak RSS. */
  readonly wall: GrowthResult;
  readonly peakRss: GrowthResult;
}

export type TargetStatus = 'met' | 'missed' | 'not measured';

export interface TargetResult {
  readonly name: string;
  /** The benchmark whose median is compared (or `scaling` for the linearity target). */
  readonly benchmark: string;
  /** The bound the median must stay under; absent for the linearity target. */
  readonly max?: number;
  readonly unit?: Unit;
  readonly value?: number;
  readonly status: TargetStatus;
  readonly note?: string;
}

export interface Results {
  readonly schemaVersion: 1;
  readonly generatedAt: string;
  readonly command: string;
  readonly environment: {
    readonly node: string;
    readonly os: { readonly platform: string; readonly release: string; readonly arch: string };
    readonly cpu: { readonly model: string; readonly cores: number };
    readonly memoryMiB: number;
    readonly loadavg: LoadAverage;
    readonly git: { readonly commit: string; readonly dirty: boolean };
    /** Versions of npm, cdk8s-cli, cdk8s, constructs, typescript, helm ... ("not found" when absent). */
    readonly tools: Record<string, string>;
  };
  readonly benchmarks: BenchmarkResult[];
  readonly scaling?: ScalingResult;
  readonly targets: TargetResult[];
}

const num = { type: 'number' };
const numArray = { type: 'array', items: num };
const loadavgSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['before', 'after'],
  properties: { before: { ...numArray, minItems: 1 }, after: { ...numArray, minItems: 1 }, busy: { type: 'number', minimum: 0, maximum: 1 } },
};
const growthSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['unit', 'slopePerChart', 'intercept', 'r2', 'segments', 'growth', 'atMostLinear', 'verdict'],
  properties: {
    unit: { enum: ['ms', 'MiB'] },
    slopePerChart: num,
    intercept: num,
    r2: num,
    segments: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['from', 'to', 'slope'],
        properties: { from: num, to: num, slope: num },
      },
    },
    marginalRatio: num,
    growth: { enum: ['linear', 'sublinear', 'superlinear', 'irregular'] },
    atMostLinear: { type: 'boolean' },
    verdict: { type: 'string', minLength: 1 },
  },
};

/** JSON schema (draft-07) of test/bench/results.json. */
export const RESULTS_SCHEMA = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  title: 'cdk8s-airflow benchmark results',
  type: 'object',
  additionalProperties: false,
  required: ['schemaVersion', 'generatedAt', 'command', 'environment', 'benchmarks', 'targets'],
  properties: {
    schemaVersion: { const: 1 },
    generatedAt: { type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}T' },
    command: { type: 'string' },
    environment: {
      type: 'object',
      additionalProperties: false,
      required: ['node', 'os', 'cpu', 'memoryMiB', 'loadavg', 'git', 'tools'],
      properties: {
        node: { type: 'string', pattern: '^v\\d+\\.' },
        os: {
          type: 'object',
          additionalProperties: false,
          required: ['platform', 'release', 'arch'],
          properties: { platform: { type: 'string' }, release: { type: 'string' }, arch: { type: 'string' } },
        },
        cpu: {
          type: 'object',
          additionalProperties: false,
          required: ['model', 'cores'],
          properties: { model: { type: 'string' }, cores: { type: 'integer', minimum: 1 } },
        },
        memoryMiB: num,
        loadavg: loadavgSchema,
        git: {
          type: 'object',
          additionalProperties: false,
          required: ['commit', 'dirty'],
          properties: { commit: { type: 'string' }, dirty: { type: 'boolean' } },
        },
        tools: { type: 'object', additionalProperties: { type: 'string' } },
      },
    },
    benchmarks: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name', 'description', 'unit', 'status', 'samples'],
        properties: {
          name: { type: 'string', pattern: '^[a-z0-9][a-z0-9.-]*$' },
          description: { type: 'string', minLength: 1 },
          unit: { enum: ['ms', 'MiB'] },
          status: { enum: ['ok', 'skipped', 'failed'] },
          samples: numArray,
          min: num,
          median: num,
          max: num,
          reason: { type: 'string', minLength: 1 },
          command: { type: 'string' },
          warmup: { type: 'integer', minimum: 0 },
          loadavg: loadavgSchema,
          cpu: {
            type: 'object',
            additionalProperties: false,
            required: ['samples', 'median'],
            properties: { samples: { ...numArray, minItems: 1 }, median: num },
          },
          notes: { type: 'array', items: { type: 'string' } },
          details: { type: 'object' },
        },
        // A measured benchmark has its samples and their summary; a skipped or failed one says why.
        if: { properties: { status: { const: 'ok' } } },
        then: { required: ['min', 'median', 'max'], properties: { samples: { minItems: 1 } } },
        else: { required: ['reason'] },
      },
    },
    scaling: {
      type: 'object',
      additionalProperties: false,
      required: ['sizes', 'wall', 'peakRss'],
      properties: { sizes: { ...numArray, minItems: 2 }, wall: growthSchema, peakRss: growthSchema },
    },
    targets: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name', 'benchmark', 'status'],
        properties: {
          name: { type: 'string' },
          benchmark: { type: 'string' },
          max: num,
          unit: { enum: ['ms', 'MiB'] },
          value: num,
          status: { enum: ['met', 'missed', 'not measured'] },
          note: { type: 'string' },
        },
      },
    },
  },
} as const;

/** Throws with every schema violation when `value` is not a valid results document; returns it typed otherwise. */
export function validateResults(value: unknown): Results {
  const ajv = new Ajv({ allErrors: true, strict: false });
  const validate = ajv.compile(RESULTS_SCHEMA);
  if (!validate(value)) {
    const errors = (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message}`).join('; ');
    throw new Error(`benchmark results do not match the schema: ${errors}`);
  }
  // Cross-field invariant the schema cannot express: min <= median <= max, and they summarize the samples.
  for (const b of (value as Results).benchmarks) {
    if (b.status !== 'ok') continue;
    const s = summarize(b.samples);
    if (s.min !== b.min || s.median !== b.median || s.max !== b.max) {
      throw new Error(`benchmark ${b.name}: min/median/max (${b.min}/${b.median}/${b.max}) do not summarize its samples (${s.min}/${s.median}/${s.max})`);
    }
    if (b.cpu && (b.cpu.samples.length !== b.samples.length || summarize(b.cpu.samples).median !== b.cpu.median)) {
      throw new Error(`benchmark ${b.name}: cpu must have one sample per wall sample and their median`);
    }
  }
  return value as Results;
}

/** A measured benchmark: the samples plus their min / median / max (and the CPU time per sample, when known). */
export function measured(base: Omit<BenchmarkResult, 'status' | 'samples' | 'min' | 'median' | 'max' | 'reason' | 'cpu'>, samples: number[], cpuSamples?: number[]): BenchmarkResult {
  const s = summarize(samples);
  const cpu = cpuSamples && cpuSamples.length === samples.length ? { cpu: { samples: cpuSamples, median: summarize(cpuSamples).median } } : {};
  return { ...base, status: 'ok', samples, min: s.min, median: s.median, max: s.max, ...cpu };
}

/** A benchmark that was not measured, and why (never a made-up number). */
export function notMeasured(base: Omit<BenchmarkResult, 'status' | 'samples' | 'min' | 'median' | 'max' | 'reason' | 'cpu'>, status: 'skipped' | 'failed', reason: string, samples: number[] = []): BenchmarkResult {
  return { ...base, status, samples, reason };
}

function growth(unit: Unit, a: GrowthAnalysis): GrowthResult {
  return {
    unit,
    slopePerChart: a.fit.slope,
    intercept: a.fit.intercept,
    r2: a.fit.r2,
    segments: a.segments,
    ...(a.marginalRatio === undefined ? {} : { marginalRatio: a.marginalRatio }),
    growth: a.growth,
    atMostLinear: a.atMostLinear,
    verdict: a.verdict,
  };
}

/**
 * The scaling analysis from the `scale.<n>.wall` and `scale.<n>.peak-rss` benchmarks (medians per size);
 * undefined when fewer than two sizes were measured.
 */
export function scalingFrom(benchmarks: readonly BenchmarkResult[]): ScalingResult | undefined {
  const points = (metric: string) => benchmarks
    .map((b) => ({ b, m: /^scale\.(\d+)\.(.+)$/.exec(b.name) }))
    .filter(({ b, m }) => m && m[2] === metric && b.status === 'ok' && b.median !== undefined)
    .map(({ b, m }) => ({ x: Number(m![1]), y: b.median! }));
  const wall = points('wall');
  const rss = points('peak-rss');
  if (wall.length < 2 || rss.length < 2) return undefined;
  return {
    sizes: wall.map((p) => p.x).sort((a, b) => a - b),
    wall: growth('ms', analyzeGrowth(wall)),
    peakRss: growth('MiB', analyzeGrowth(rss)),
  };
}

/** A target from issue 5: the median of `benchmark` must stay under `max`, or (kind linear) growth must be linear. */
export interface TargetSpec {
  readonly name: string;
  readonly benchmark: string;
  readonly max?: number;
  readonly unit?: Unit;
  readonly kind?: 'linear';
}

/** Issue 5's targets on this 2-core machine. */
export const TARGETS: readonly TargetSpec[] = [
  { name: 'cold cdk8s synth of the default example < 1.5 s', benchmark: 'cdk8s-synth.default', max: 1500, unit: 'ms' },
  { name: 'library synthesis of the default example < 0.3 s', benchmark: 'library-synth.default', max: 300, unit: 'ms' },
  { name: '100 charts in one App < 10 s', benchmark: 'scale.100.wall', max: 10_000, unit: 'ms' },
  { name: '100 charts in one App < 1 GiB peak RSS', benchmark: 'scale.100.peak-rss', max: 1024, unit: 'MiB' },
  { name: 'cost linear in the number of charts', benchmark: 'scaling', kind: 'linear' },
  { name: 'helm template of the default chart < 0.3 s', benchmark: 'helm-template.default', max: 300, unit: 'ms' },
];

/** Compares each target with the median of its benchmark. */
export function evaluateTargets(benchmarks: readonly BenchmarkResult[], scaling: ScalingResult | undefined, targets: readonly TargetSpec[] = TARGETS): TargetResult[] {
  return targets.map((t): TargetResult => {
    if (t.kind === 'linear') {
      if (!scaling) return { name: t.name, benchmark: t.benchmark, status: 'not measured', note: 'fewer than two chart counts measured' };
      const ok = scaling.wall.atMostLinear && scaling.peakRss.atMostLinear;
      return { name: t.name, benchmark: t.benchmark, status: ok ? 'met' : 'missed', note: `time ${scaling.wall.verdict}; memory ${scaling.peakRss.verdict}` };
    }
    const b = benchmarks.find((x) => x.name === t.benchmark);
    if (!b || b.status !== 'ok' || b.median === undefined) {
      return { name: t.name, benchmark: t.benchmark, max: t.max, unit: t.unit, status: 'not measured', note: b?.reason ?? 'benchmark not run' };
    }
    if (b.unit !== t.unit) throw new Error(`target '${t.name}' is in ${t.unit} but benchmark ${b.name} is in ${b.unit}`);
    return { name: t.name, benchmark: t.benchmark, max: t.max, unit: t.unit, value: b.median, status: b.median < t.max! ? 'met' : 'missed' };
  });
}

/** `312 ms`, `1.23 s`, `187 MiB`, `1.5 GiB`. */
export function formatValue(value: number, unit: Unit): string {
  if (unit === 'ms') return value < 1000 ? `${Math.round(value)} ms` : `${(value / 1000).toFixed(2)} s`;
  return value < 1024 ? `${Math.round(value)} MiB` : `${(value / 1024).toFixed(2)} GiB`;
}

function targetCell(b: BenchmarkResult, targets: readonly TargetResult[]): string {
  const t = targets.find((x) => x.benchmark === b.name);
  if (!t || t.max === undefined || t.unit === undefined) return '';
  const bound = `< ${formatValue(t.max, t.unit)}`;
  return t.status === 'not measured' ? bound : `${bound} ${t.status}`;
}

/** The Markdown table of every benchmark: median with min and max, CPU time, the 1-minute load when it started. */
export function renderTable(results: Pick<Results, 'benchmarks' | 'targets'>): string {
  const rows = [
    '| benchmark | runs | median | min | max | CPU (median) | load / busy | target |',
    '|---|---:|---:|---:|---:|---:|---:|---|',
  ];
  for (const b of results.benchmarks) {
    const label = `\`${b.name}\`: ${b.description}`;
    const load = b.loadavg ? `${b.loadavg.before[0].toFixed(1)}${b.loadavg.busy === undefined ? '' : ` / ${Math.round(b.loadavg.busy * 100)}%`}` : '';
    if (b.status !== 'ok') {
      rows.push(`| ${label} | ${b.samples.length} | ${b.status}: ${b.reason!.replace(/\|/g, '\\|').replace(/\s*\n\s*/g, ' ')} | | | | ${load} | ${targetCell(b, results.targets)} |`);
      continue;
    }
    const f = (v: number) => formatValue(v, b.unit);
    const cpu = b.cpu ? formatValue(b.cpu.median, 'ms') : '';
    rows.push(`| ${label} | ${b.samples.length} | ${f(b.median!)} | ${f(b.min!)} | ${f(b.max!)} | ${cpu} | ${load} | ${targetCell(b, results.targets)} |`);
  }
  return rows.join('\n');
}

/** One paragraph on how cost grows with the number of charts. */
export function renderScaling(s: ScalingResult | undefined): string {
  if (!s) return 'Scaling: fewer than two chart counts measured.';
  const segs = s.wall.segments.map((g) => `${g.from}→${g.to}: ${g.slope.toFixed(1)} ms`).join(', ');
  return `Scaling over ${s.sizes.join(', ')} charts in one App (least squares over the medians): each more chart costs `
    + `**${s.wall.slopePerChart.toFixed(1)} ms** (r² ${s.wall.r2.toFixed(4)}; per chart between sizes ${segs}) `
    + `and **${s.peakRss.slopePerChart.toFixed(2)} MiB** of peak RSS (r² ${s.peakRss.r2.toFixed(4)}). `
    + `Time: ${s.wall.verdict}. Memory: ${s.peakRss.verdict}.`;
}

function fmtLoad(l: number[]): string {
  return l.map((x) => x.toFixed(2)).join(' ');
}

export const README_START = '<!-- bench:start -->';
export const README_END = '<!-- bench:end -->';

/** The README "Performance" section, markers included, generated from results.json. */
export function renderReadmeSection(r: Results): string {
  const env = r.environment;
  const met = r.targets.filter((t) => t.status === 'met').map((t) => t.name);
  const missed = r.targets.filter((t) => t.status === 'missed').map((t) => t.name);
  const unmeasured = r.targets.filter((t) => t.status === 'not measured').map((t) => t.name);
  const lines = [
    README_START,
    '## Performance',
    '',
    '<!-- generated from test/bench/results.json by `npm run bench` (`npm run bench -- --readme-only` re-renders it); do not edit -->',
    `\`npm run bench\` (code in \`test/bench/\`) measured these on ${r.generatedAt.slice(0, 10)} at commit \`${env.git.commit.slice(0, 7)}\``
      + `${env.git.dirty ? ' (with uncommitted changes)' : ''}, Node ${env.node}, ${env.cpu.cores} × ${env.cpu.model}; `
      + `load average ${fmtLoad(env.loadavg.before)} before and ${fmtLoad(env.loadavg.after)} after the run (other jobs shared the machine). `
      + 'Each figure is over several runs. Wall times grow with the load; "CPU" is the user + system time of the measured '
      + 'process and its children, which other jobs disturb far less; "load / busy" is the 1-minute load average when the '
      + 'benchmark started and the share of both cores busy (with anything) while it ran (one single-threaded process alone '
      + 'shows about 50%). `test/bench/results.json` has every sample, the tool versions and the load of each benchmark.',
    '',
    renderTable(r),
    '',
    renderScaling(r.scaling),
    '',
    `Targets met: ${met.length ? met.join('; ') : 'none'}.`
      + (missed.length ? ` Missed: ${missed.join('; ')}.` : '')
      + (unmeasured.length ? ` Not measured yet: ${unmeasured.join('; ')}.` : ''),
    '',
    'How it measures, the profiles behind any missed target and the fixes measured for them: `test/bench/NOTES.md`.',
    README_END,
  ];
  return lines.join('\n');
}

/**
 * Puts `section` (markers included) into the README: between the existing markers, or else as a new section right
 * before `## Layout` (or at the end when there is no such heading).
 */
export function spliceReadme(readme: string, section: string): string {
  const start = readme.indexOf(README_START);
  const end = readme.indexOf(README_END);
  if (start >= 0 && end > start) return readme.slice(0, start) + section + readme.slice(end + README_END.length);
  if (start >= 0 || end >= 0) {
    throw new Error(`README.md has ${start >= 0 ? README_START : README_END} without its partner marker (or in the wrong order); fix the markers by hand, then re-run`);
  }
  const layout = /^## Layout[ \t]*$/m.exec(readme);
  if (layout) return `${readme.slice(0, layout.index)}${section}\n\n${readme.slice(layout.index)}`;
  return `${readme.replace(/\n*$/, '')}\n\n${section}\n`;
}
