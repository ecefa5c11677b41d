import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { allOptionalOn } from './all-on';
import { CpuProfile, packageOf, summarizeProfile } from './profile-summary';
import {
  BenchmarkResult, evaluateTargets, formatValue, measured, notMeasured, README_END, README_START, renderReadmeSection,
  renderTable, Results, scalingFrom, spliceReadme, validateResults,
} from './results';
import { analyzeGrowth, leastSquares, summarize } from './stats';
import { busyShare, cacheRoot, findHelm } from './tools';

const REPO = path.join(__dirname, '..', '..');

describe('summarize', () => {
  test('median of an odd count is the middle value, whatever the order', () => {
    expect(summarize([5, 1, 3])).toEqual({ min: 1, median: 3, max: 5, mean: 3 });
  });

  test('median of an even count is the mean of the two middle values', () => {
    expect(summarize([10, 40, 20, 30]).median).toBe(25);
  });

  test('does not reorder the caller\'s samples', () => {
    const samples = [3, 1, 2];
    summarize(samples);
    expect(samples).toEqual([3, 1, 2]);
  });

  test('throws if there are no samples', () => {
    expect(() => summarize([])).toThrow(/at least one sample/);
  });

  test('throws if a sample is not a finite number', () => {
    expect(() => summarize([1, NaN])).toThrow(/finite/);
  });
});

describe('leastSquares', () => {
  test('recovers an exact line with r² 1', () => {
    const fit = leastSquares([1, 10, 100, 500], [23, 50, 320, 1520]);
    expect(fit.slope).toBeCloseTo(3, 10);
    expect(fit.intercept).toBeCloseTo(20, 10);
    expect(fit.r2).toBeCloseTo(1, 12);
  });

  test('fits noisy points like a textbook example', () => {
    // GIVEN points around y = x: (1,1) (2,3) (3,2)
    const fit = leastSquares([1, 2, 3], [1, 3, 2]);
    // THEN slope 0.5, intercept 1, r² 0.25 (computed by hand)
    expect(fit.slope).toBeCloseTo(0.5, 12);
    expect(fit.intercept).toBeCloseTo(1, 12);
    expect(fit.r2).toBeCloseTo(0.25, 12);
  });

  test('throws if every x is the same', () => {
    expect(() => leastSquares([5, 5], [1, 2])).toThrow(/two distinct x/);
  });

  test('throws if x and y differ in length', () => {
    expect(() => leastSquares([1, 2], [1])).toThrow(/as many x as y/);
  });
});

describe('analyzeGrowth', () => {
  test('calls a straight line linear and reports its per-chart slope', () => {
    const a = analyzeGrowth([1, 10, 100, 500].map((x) => ({ x, y: 150 + 20 * x })));
    expect(a.growth).toBe('linear');
    expect(a.atMostLinear).toBe(true);
    expect(a.fit.slope).toBeCloseTo(20, 10);
    expect(a.marginalRatio).toBeCloseTo(1, 10);
    expect(a.verdict).toMatch(/^linear: r² 1.0000 ≥ 0.99/);
  });

  test('calls a quadratic cost not linear even though r² of the line stays high', () => {
    // GIVEN 20 ms per chart plus 0.04 ms per pair of charts (what an app-wide pass per chart costs)
    const a = analyzeGrowth([500, 1, 100, 10].map((x) => ({ x, y: 100 + 20 * x + 0.04 * x * x })));
    // THEN the line still explains > 99% of the variance, but the marginal cost nearly doubles from 10->100 to 100->500
    expect(a.fit.r2).toBeGreaterThan(0.99);
    expect(a.segments.map((s) => [s.from, s.to])).toEqual([[1, 10], [10, 100], [100, 500]]);
    expect(a.segments[2].slope).toBeCloseTo(44, 10);
    expect(a.segments[1].slope).toBeCloseTo(24.4, 10);
    expect(a.marginalRatio).toBeCloseTo(44 / 24.4, 10);
    expect(a.growth).toBe('superlinear');
    expect(a.atMostLinear).toBe(false);
    expect(a.verdict).toMatch(/^superlinear: marginal cost ratio of the last two segments 1.80 > 1.5/);
  });

  test('calls a cost whose marginal cost falls sublinear, which is at most linear', () => {
    // GIVEN peak RSS-like growth: a fixed reserve amortized, sqrt-shaped
    const a = analyzeGrowth([1, 10, 100, 500].map((x) => ({ x, y: 80 + 10 * Math.sqrt(x) })));
    expect(a.fit.r2).toBeLessThan(0.99);
    expect(a.marginalRatio).toBeLessThan(1);
    expect(a.growth).toBe('sublinear');
    expect(a.atMostLinear).toBe(true);
  });

  test('calls a poor fit without falling marginal cost irregular, which is not at most linear', () => {
    const a = analyzeGrowth([{ x: 1, y: 100 }, { x: 10, y: 10 }, { x: 100, y: 100 }, { x: 500, y: 500 }]);
    expect(a.growth).toBe('irregular');
    expect(a.atMostLinear).toBe(false);
  });

  test('with two sizes it judges by r² alone', () => {
    const a = analyzeGrowth([{ x: 1, y: 10 }, { x: 2, y: 20 }]);
    expect(a.marginalRatio).toBeUndefined();
    expect(a.growth).toBe('linear');
  });
});

describe('allOptionalOn', () => {
  test('turns every enabled: false on, at any depth, and lists the paths', () => {
    // GIVEN
    const values = { flower: { enabled: false, replicas: 1 }, ingress: { enabled: false, tls: { enabled: false } }, networkPolicy: { enabled: true }, list: [{ enabled: false }] };
    // WHEN
    const { values: on, flipped } = allOptionalOn(values);
    // THEN
    expect(on).toEqual({ flower: { enabled: true, replicas: 1 }, ingress: { enabled: true, tls: { enabled: true } }, networkPolicy: { enabled: true }, list: [{ enabled: true }] });
    expect(flipped).toEqual(['flower.enabled', 'ingress.enabled', 'ingress.tls.enabled', 'list[0].enabled']);
    expect(values.flower.enabled).toBe(false); // input untouched
  });

  test('leaves values without switches as they are', () => {
    expect(allOptionalOn({ a: 1, b: 'enabled', c: null })).toEqual({ values: { a: 1, b: 'enabled', c: null }, flipped: [] });
  });
});

test('formatValue picks ms or s, MiB or GiB', () => {
  expect(formatValue(312.4, 'ms')).toBe('312 ms');
  expect(formatValue(1234, 'ms')).toBe('1.23 s');
  expect(formatValue(187.2, 'MiB')).toBe('187 MiB');
  expect(formatValue(1536, 'MiB')).toBe('1.50 GiB');
});

/** A small but complete results document, as run.ts writes it. */
function sampleResults(): Results {
  const benchmarks: BenchmarkResult[] = [
    measured({ name: 'cdk8s-synth.default', description: 'cold synth', unit: 'ms', loadavg: { before: [1.25, 2, 3], after: [1, 2, 3], busy: 0.554 } }, [1300, 1200, 1600], [900, 800, 1000]),
    measured({ name: 'library-synth.default', description: 'library', unit: 'ms' }, [200, 210, 190]),
    ...[1, 10, 100, 500].flatMap((n) => [
      measured({ name: `scale.${n}.wall`, description: `${n} charts`, unit: 'ms' }, [100 + 20 * n]),
      measured({ name: `scale.${n}.peak-rss`, description: `${n} charts`, unit: 'MiB' }, [80 + 0.5 * n]),
    ]),
    notMeasured({ name: 'helm-template.default', description: 'helm template', unit: 'ms' }, 'skipped', 'no helm binary'),
  ];
  const scaling = scalingFrom(benchmarks);
  return {
    schemaVersion: 1,
    generatedAt: '2026-11-22T15:00:00.000Z',
    command: 'npm run bench',
    environment: {
      node: 'v20.20.2',
      os: { platform: 'linux', release: '6.1', arch: 'x64' },
      cpu: { model: 'AMD EPYC', cores: 2 },
      memoryMiB: 24105,
      loadavg: { before: [1, 2, 3], after: [2, 2, 3] },
      git: { commit: 'f5d607d0123456789', dirty: false },
      tools: { helm: 'not found' },
    },
    benchmarks,
    scaling,
    targets: evaluateTargets(benchmarks, scaling),
  };
}

describe('results', () => {
  test('a complete document passes the schema', () => {
    expect(() => validateResults(JSON.parse(JSON.stringify(sampleResults())))).not.toThrow();
  });

  test('fails when a measured benchmark lacks its median', () => {
    const r = sampleResults() as any;
    delete r.benchmarks[0].median;
    expect(() => validateResults(r)).toThrow(/benchmarks\/0 must have required property 'median'/);
  });

  test('fails when a skipped benchmark does not say why', () => {
    const r = sampleResults() as any;
    delete r.benchmarks[r.benchmarks.length - 1].reason;
    expect(() => validateResults(r)).toThrow(/must have required property 'reason'/);
  });

  test('fails when min/median/max do not summarize the samples', () => {
    const r = sampleResults() as any;
    r.benchmarks[0].median = 1;
    expect(() => validateResults(r)).toThrow(/cdk8s-synth.default: min\/median\/max \(1200\/1\/1600\) do not summarize its samples \(1200\/1300\/1600\)/);
  });

  test('fails when the CPU samples do not match the wall samples', () => {
    const r = sampleResults() as any;
    r.benchmarks[0].cpu.samples.pop();
    expect(() => validateResults(r)).toThrow(/cdk8s-synth.default: cpu must have one sample per wall sample/);
  });

  test('keeps CPU time beside the wall time, with its median', () => {
    expect(sampleResults().benchmarks[0].cpu).toEqual({ samples: [900, 800, 1000], median: 900 });
  });

  test('fails on an unknown key (a typo is not silently kept)', () => {
    const r = sampleResults() as any;
    r.benchmarks[0].medain = 3;
    expect(() => validateResults(r)).toThrow(/must NOT have additional properties/);
  });

  test('the scaling analysis takes the per-size medians and finds the per-chart slope', () => {
    const s = sampleResults().scaling!;
    expect(s.sizes).toEqual([1, 10, 100, 500]);
    expect(s.wall.slopePerChart).toBeCloseTo(20, 10);
    expect(s.peakRss.slopePerChart).toBeCloseTo(0.5, 10);
    expect(s.wall.growth).toBe('linear');
  });

  test('targets compare medians and say what was not measured', () => {
    const byName = Object.fromEntries(sampleResults().targets.map((t) => [t.benchmark, t]));
    expect(byName['cdk8s-synth.default']).toMatchObject({ status: 'met', value: 1300, max: 1500 });
    expect(byName['scale.100.wall']).toMatchObject({ status: 'met', value: 2100 });
    expect(byName.scaling.status).toBe('met');
    expect(byName['helm-template.default']).toMatchObject({ status: 'not measured', note: 'no helm binary' });
  });

  test('a median at or over the bound misses the target', () => {
    const b = [measured({ name: 'library-synth.default', description: 'x', unit: 'ms' }, [300, 300, 299])];
    expect(evaluateTargets(b, undefined).find((t) => t.benchmark === 'library-synth.default')).toMatchObject({ status: 'missed', value: 300 });
  });

  test('the table has one row per benchmark, with the skip reason instead of numbers', () => {
    const lines = renderTable(sampleResults()).split('\n');
    expect(lines).toHaveLength(2 + sampleResults().benchmarks.length);
    expect(lines[2]).toBe('| `cdk8s-synth.default`: cold synth | 3 | 1.30 s | 1.20 s | 1.60 s | 900 ms | 1.3 / 55% | < 1.50 s met |');
    expect(lines[3]).toBe('| `library-synth.default`: library | 3 | 200 ms | 190 ms | 210 ms |  |  | < 300 ms met |');
    expect(lines[lines.length - 1]).toBe('| `helm-template.default`: helm template | 0 | skipped: no helm binary | | | |  | < 300 ms |');
  });
});

describe('README section', () => {
  const section = renderReadmeSection(sampleResults());

  test('is wrapped in its markers and says what was measured where', () => {
    expect(section.startsWith(`${README_START}\n## Performance\n`)).toBe(true);
    expect(section.endsWith(README_END)).toBe(true);
    expect(section).toContain('commit `f5d607d`');
    expect(section).toContain('2 × AMD EPYC');
    expect(section).toContain('each more chart costs **20.0 ms**');
    expect(section).toContain('Not measured yet: helm template of the default chart < 0.3 s.');
  });

  test('goes right before the Layout section the first time', () => {
    const readme = '# x\n\n## Validation\n\ntext\n\n## Layout\n\nfiles\n';
    expect(spliceReadme(readme, section)).toBe(`# x\n\n## Validation\n\ntext\n\n${section}\n\n## Layout\n\nfiles\n`);
  });

  test('replaces only what is between the markers afterwards', () => {
    const once = spliceReadme('# x\n\n## Layout\n', section);
    const other = `${README_START}\n## Performance\nold\n${README_END}`;
    expect(spliceReadme(spliceReadme(once, other), section)).toBe(once);
  });

  test('throws if only one marker is present', () => {
    expect(() => spliceReadme(`# x\n${README_START}\n`, section)).toThrow(/without its partner marker/);
  });

  test('the committed README section is the one rendered from the committed results.json', () => {
    const resultsFile = path.join(__dirname, 'results.json');
    const readme = fs.readFileSync(path.join(REPO, 'README.md'), 'utf8');
    const results = validateResults(JSON.parse(fs.readFileSync(resultsFile, 'utf8')));
    const start = readme.indexOf(README_START);
    const end = readme.indexOf(README_END) + README_END.length;
    if (readme.slice(start, end) !== renderReadmeSection(results)) {
      throw new Error('README.md Performance section is stale: run `npm run bench -- --readme-only` (or `npm run bench`)');
    }
  });
});

test('busyShare is the busy share of the CPU time between two readings, and undefined without a second reading', () => {
  expect(busyShare({ busy: 100, total: 1000 }, { busy: 400, total: 1400 })).toBe(0.75);
  expect(busyShare({ busy: 100, total: 1000 }, undefined)).toBeUndefined();
  expect(busyShare({ busy: 100, total: 1000 }, { busy: 100, total: 1000 })).toBeUndefined();
});

describe('findHelm', () => {
  let cache: string;
  const exe = (file: string) => {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, '#!/bin/sh\n', { mode: 0o755 });
  };
  beforeEach(() => { cache = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-helm-')); });
  afterEach(() => fs.rmSync(cache, { recursive: true, force: true }));

  test('the cache root follows CDK8S_AIRFLOW_CACHE, else ~/.cache/cdk8s-airflow', () => {
    expect(cacheRoot({ CDK8S_AIRFLOW_CACHE: '/c' })).toBe('/c');
    expect(cacheRoot({ HOME: '/home/u' })).toBe('/home/u/.cache/cdk8s-airflow');
  });

  test('prefers <cache>/tools/bin/helm', () => {
    exe(path.join(cache, 'tools', 'bin', 'helm'));
    exe(path.join(cache, 'tools', 'helm-v3.22.0', 'bin', 'helm'));
    expect(findHelm({ CDK8S_AIRFLOW_CACHE: cache, PATH: '' }).path).toBe(path.join(cache, 'tools', 'bin', 'helm'));
  });

  test('else takes the newest <cache>/tools/helm-<version>/bin/helm, comparing versions as numbers', () => {
    exe(path.join(cache, 'tools', 'helm-v3.9.0', 'bin', 'helm'));
    exe(path.join(cache, 'tools', 'helm-v3.22.0', 'bin', 'helm'));
    expect(findHelm({ CDK8S_AIRFLOW_CACHE: cache, PATH: '' }).path).toBe(path.join(cache, 'tools', 'helm-v3.22.0', 'bin', 'helm'));
  });

  test('else a helm on PATH; a non-executable file does not count', () => {
    const onPath = path.join(cache, 'path');
    exe(path.join(onPath, 'helm'));
    fs.mkdirSync(path.join(cache, 'tools', 'bin'), { recursive: true });
    fs.writeFileSync(path.join(cache, 'tools', 'bin', 'helm'), 'not executable', { mode: 0o644 });
    expect(findHelm({ CDK8S_AIRFLOW_CACHE: cache, PATH: onPath }).path).toBe(path.join(onPath, 'helm'));
  });

  test('finds nothing and lists where it looked', () => {
    const r = findHelm({ CDK8S_AIRFLOW_CACHE: cache, PATH: '' });
    expect(r.path).toBeUndefined();
    expect(r.searched).toEqual([path.join(cache, 'tools', 'bin', 'helm'), path.join(cache, 'tools', 'helm-<version>', 'bin', 'helm'), 'helm on PATH']);
  });
});

describe('profile summary', () => {
  // GIVEN (root) -> cdk8s App.synth -> node's module loader, and (root) -> (idle)
  const frame = (functionName: string, url: string) => ({ functionName, url, lineNumber: 0 });
  const profile: CpuProfile = {
    nodes: [
      { id: 1, callFrame: frame('(root)', ''), children: [2, 4] },
      { id: 2, callFrame: frame('synth', '/repo/node_modules/cdk8s/lib/app.js'), children: [3] },
      { id: 3, callFrame: frame('wrapSafe', 'node:internal/modules/cjs/loader') },
      { id: 4, callFrame: frame('(idle)', '') },
    ],
    samples: [3, 3, 2, 4],
    timeDeltas: [1000, 1000, 2000, 500],
  };
  const s = summarizeProfile(profile);

  test('self time goes to the sampled function', () => {
    expect(s.totalMs).toBe(4.5);
    expect(s.self.map((e) => [e.name, e.ms])).toEqual([
      ['wrapSafe node:internal/modules/cjs/loader:1', 2],
      ['synth cdk8s/lib/app.js:1', 2],
      ['(idle) ', 0.5],
    ]);
  });

  test('inclusive time goes to every caller once', () => {
    expect(s.inclusive.map((e) => [e.name, e.ms])).toEqual([
      ['(root) ', 4.5],
      ['synth cdk8s/lib/app.js:1', 4],
      ['wrapSafe node:internal/modules/cjs/loader:1', 2],
      ['(idle) ', 0.5],
    ]);
  });

  test('node internals count for the package that called them', () => {
    expect(s.byPackage.map((e) => [e.name, e.ms, e.share])).toEqual([['cdk8s', 4, 4 / 4.5], ['(idle)', 0.5, 0.5 / 4.5]]);
  });

  test('packageOf names the innermost package, scoped ones included', () => {
    expect(packageOf('file:///r/node_modules/@scope/pkg/lib/a.js')).toBe('@scope/pkg');
    expect(packageOf('/r/node_modules/jsii-pacmak/node_modules/yargs/index.js')).toBe('yargs');
    expect(packageOf('/r/lib/src/airflow-chart.js')).toBe('(project)');
    expect(packageOf('node:fs')).toBe('node');
  });
});
