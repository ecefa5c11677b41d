import { Testing } from 'cdk8s';
import { parse } from 'yaml';
import { AirflowChart } from '../airflow-chart';
import { sha256 } from '../components/release';
import {
  Condition, cond, defaultValues, DerivedForm, EXTERNAL_LOGINS, GENERATED_SECRET_PATHS, getPath, leaves, mergeValues, Probe, PROBE_BASES, setPath, truthy, Values, valuesRef,
} from '../values/model';
import { propsFromValues } from '../values/props';
import { canonical, deepEqual, evaluate, Expr, fromJson, ListItem, MapEntry, Part, TNode, YAML_TEXT_KEY } from './tree';

/**
 * The Helm generator's core. It learns the chart from the constructs themselves: it synthesizes
 * `AirflowChart` with the default values, then once per probe of the values model (a key at another value),
 * and turns each difference into template code: a value substituted where it lands, an if/else where a
 * choice changes structure, a toYaml where Kubernetes YAML is passed through. After every probe it checks
 * that the template tree, evaluated for both values, gives exactly what the constructs gave.
 */

/** Markers the release-dependent strings are rendered with, replaced by Helm's built-in objects. */
export const RELEASE_SENTINEL = 'zzrlsq';
export const NAMESPACE_SENTINEL = 'zznsq';
export const MANAGED_BY_SENTINEL = 'zzmgdq';
/** Placeholders for derived content the chart computes itself. */
export const CFG_PLACEHOLDER = '\u27e6airflow.cfg\u27e7';
export const CFG_SUM_PLACEHOLDER = '\u27e6airflow.cfg sha256\u27e7';
export const JOB_HASH_PLACEHOLDER = '\u27e6job hash\u27e7';
/** Kind of the pseudo-object carrying the chart-owned Airflow settings. */
export const CONFIG_KIND = 'AirflowChartConfig';

const RELEASE: Expr = { helm: '$.Release.Name', js: () => RELEASE_SENTINEL, type: 'string' };
const NAMESPACE: Expr = { helm: '$.Release.Namespace', js: () => NAMESPACE_SENTINEL, type: 'string' };
const MANAGED_BY: Expr = { helm: '$.Release.Service', js: () => MANAGED_BY_SENTINEL, type: 'string' };
const SENTINELS: [string, Expr][] = [[RELEASE_SENTINEL, RELEASE], [NAMESPACE_SENTINEL, NAMESPACE], [MANAGED_BY_SENTINEL, MANAGED_BY]];

/** Splits a string at the sentinels into literal parts and Helm built-ins. */
export function splitSentinels(s: string): TNode {
  let parts: Part[] = [s];
  for (const [sentinel, expr] of SENTINELS) {
    parts = parts.flatMap((p) => (typeof p !== 'string' ? [p] : interleave(p.split(sentinel), expr)));
  }
  parts = parts.filter((p) => p !== '');
  if (parts.length === 0) return { t: 'lit', v: '' };
  if (parts.length === 1 && typeof parts[0] === 'string') return { t: 'lit', v: parts[0] };
  return { t: 'str', parts };
}

function interleave(pieces: string[], expr: Expr): Part[] {
  const out: Part[] = [];
  pieces.forEach((p, i) => { if (i > 0) out.push(expr); out.push(p); });
  return out;
}

/** Synthesizes the constructs for values and normalizes what the chart computes itself. */
export function renderValues(values: Values): any[] {
  const app = Testing.app();
  const chart = new AirflowChart(app, 'chart', {
    ...propsFromValues(values, { releaseName: RELEASE_SENTINEL, namespace: NAMESPACE_SENTINEL }),
    managedBy: MANAGED_BY_SENTINEL,
  });
  const objects = Testing.synth(chart) as any[];
  const cfgSum = sha256(chart.release.configText);
  const walk = (x: any): any => {
    if (typeof x === 'string') return x === cfgSum ? CFG_SUM_PLACEHOLDER : x;
    if (Array.isArray(x)) return x.map(walk);
    if (x && typeof x === 'object') return Object.fromEntries(Object.entries(x).map(([k, v]) => [k, walk(v)]));
    return x;
  };
  const out = objects.map((o) => {
    const n = walk(o);
    if (n.kind === 'ConfigMap' && n.data?.['airflow.cfg'] !== undefined) {
      n.data['airflow.cfg'] = CFG_PLACEHOLDER;
      if (n.data['pod_template.yaml']) n.data['pod_template.yaml'] = { [YAML_TEXT_KEY]: walk(parse(n.data['pod_template.yaml'])) };
    }
    if (n.kind === 'Job') n.metadata.name = `${n.metadata.name.slice(0, -9)}-${JOB_HASH_PLACEHOLDER}`;
    return n;
  });
  // The settings the chart owns; values.config is merged over them by the chart's config template.
  out.push({ apiVersion: 'cdk8s-airflow/internal', kind: CONFIG_KIND, metadata: { name: 'config' }, data: chart.release.config });
  return out;
}

/** One synthesis pair: the values before and after a probe, and what the difference means. */
interface ProbeRun {
  readonly label: string;
  readonly path: string;
  readonly kind: Probe['kind'];
  readonly before: Values;
  readonly after: Values;
  /** True after, false before: guards structure that appears (and its negation what disappears). */
  readonly when?: Condition;
  /** Renderings of the probed value that may be substituted. */
  readonly forms: { value: unknown; before: unknown; expr: Expr }[];
  /** Differences may become if/else branches (closed sets). */
  readonly allowSwitch: boolean;
  /** Range probes of scalar lists. */
  readonly range?: { before: unknown[]; after: unknown[] };
  /** The probe's context as a condition: substitutions only speak for that case. */
  readonly guard?: Condition;
  /** A repeat of the probe on another base (skipped when the constructs refuse that combination). */
  readonly optionalBase?: boolean;
  /** Values with a second, different probe value: the learnt template must give what the constructs give. */
  readonly verify?: Values;
}

/**
 * A second probe value, different from the first and as valid: proves that what was learnt is a template, not a
 * copy of the probe value (`probe-tag` -> `xprobe-tag`, `777Mi` -> `779Mi`, 3 -> 5).
 */
function verifyValue(value: unknown, explicit: unknown): unknown {
  if (explicit !== undefined) return explicit;
  if (typeof value === 'number') return value + 2;
  if (typeof value === 'string') {
    const m = /^([0-9]+)(.*)$/.exec(value);
    return m ? `${Number(m[1]) + 2}${m[2]}` : `x${value}`;
  }
  if (Array.isArray(value) && value.every((x) => typeof x === 'string')) return [...value.map((x) => `x${x}`), 'xextra'];
  return value;
}

/** Leaf paths and values of a nested values object. */
function flatten(v: Values, prefix = ''): [string, unknown][] {
  return Object.entries(v).flatMap(([k, x]) => {
    const path = prefix ? `${prefix}.${k}` : k;
    return x && typeof x === 'object' && !Array.isArray(x) && Object.keys(x).length ? flatten(x, path) : [[path, x] as [string, unknown]];
  });
}

function exprType(v: unknown): Expr['type'] {
  if (typeof v === 'string') return 'string';
  if (typeof v === 'number') return 'integer';
  if (typeof v === 'boolean') return 'boolean';
  return 'yaml';
}

function formsOf(path: string, value: unknown, before: unknown, derived: DerivedForm[] = []): ProbeRun['forms'] {
  const ref = valuesRef(path);
  const out: ProbeRun['forms'] = [];
  const isList = Array.isArray(value);
  if (!isList || derived.length === 0) {
    out.push({ value, before, expr: { helm: ref, js: (v) => getPath(v, path), type: exprType(value) } });
  }
  for (const d of derived) {
    out.push({
      value: d.js(value),
      before: before === undefined || before === null ? undefined : d.js(before),
      expr: { helm: d.helm.split('%s').join(ref), js: (v) => d.js(getPath(v, path)), type: exprType(d.js(value)) },
    });
  }
  return out;
}

/** What characterizes values among the samples: every choice away from its default, every optional value set. */
export function characterize(v: Values, defaults: Values = defaultValues()): Condition | undefined {
  const conds: Condition[] = [];
  for (const { path, leaf, relevant } of leaves()) {
    const p = leaf.probe;
    if (p.kind === 'choice' && !deepEqual(getPath(v, path), getPath(defaults, path))) conds.push(cond.eq(path, getPath(v, path)));
    if (p.kind === 'optional' && truthy(getPath(v, path))) {
      // Set, and used at all (a Redis CA says nothing without Celery and an external Redis).
      const set = p.when ?? cond.set(path);
      conds.push(relevant ? cond.and(relevant, set) : set);
    }
  }
  return conds.length ? cond.and(...conds) : undefined;
}

/** The runs of one key's probe from a base (the defaults with the probe's context, possibly a choice base). */
function runsFor(path: string, p: Probe, before: Values, defaults: Values, optionalBase: boolean, relevant?: Condition): ProbeRun[] {
  if (p.kind === 'special') return [];
  if (relevant && !relevant.js(before)) {
    if (optionalBase) return [];
    throw new Error(`helm generator: the context of ${path}'s probe does not make it relevant (${relevant.helm})`);
  }
  const characterized = characterize(before, defaults);
  const guard = relevant && characterized ? cond.and(relevant, characterized) : relevant ?? characterized;
  const guarded = (c: Condition | undefined) => (c && guard ? cond.and(guard, c) : c);
  const def = getPath(before, path);
  const label = `${path} (${p.kind})${optionalBase ? ` on ${canonical(diffValues(before, defaults))}` : ''}`;
  const base = { path, kind: p.kind, before, guard, optionalBase };
  switch (p.kind) {
    case 'choice':
      return p.values.map((alt) => {
        const a = typeof alt === 'object' && alt !== null && 'value' in (alt as any) ? alt as { value: any; with?: Values } : { value: alt, with: undefined };
        const after = mergeValues(setPath(before, path, a.value), { ...(p.with ?? {}), ...(a.with ?? {}) });
        return { ...base, label: `${label} = ${JSON.stringify(a.value)}`, after, when: guarded(cond.eq(path, a.value)), forms: [], allowSwitch: true };
      });
    case 'scalar': {
      const after = setPath(before, path, p.value);
      let when: Condition | undefined;
      if (p.structural) when = p.structural.js(after) && !p.structural.js(before) ? p.structural : cond.not(p.structural);
      return [{ ...base, label, after, when: guarded(when), forms: formsOf(path, p.value, def, p.forms), allowSwitch: false, verify: setPath(before, path, verifyValue(p.value, p.verify)) }];
    }
    case 'optional':
    case 'yaml': {
      const after = setPath(before, path, p.value);
      // A yaml value that is never empty by default (e.g. DNS labels) guards nothing: it is only substituted.
      const when = p.kind === 'optional' && p.when ? p.when : truthy(def) && p.kind === 'yaml' ? undefined : cond.set(path);
      const verify = p.kind === 'optional' ? setPath(before, path, verifyValue(p.value, p.verify)) : undefined;
      return [{ ...base, label, after, when: guarded(when), forms: formsOf(path, p.value, def, p.kind === 'optional' ? p.forms : []), allowSwitch: false, verify }];
    }
    case 'list': {
      const out: ProbeRun[] = [{ ...base, label, after: setPath(before, path, p.value), forms: [], allowSwitch: false, range: { before: def, after: p.value } }];
      if (p.whenEmpty) {
        out.push({ ...base, label: `${label} = []`, after: setPath(before, path, []), when: guarded(cond.not(p.whenEmpty)), forms: [], allowSwitch: false });
      }
      return out;
    }
  }
}

/**
 * Configurations where every generated Secret in use is an existing one instead: over the choices that decide
 * which Secrets are in use (database, broker, executor, Flower, admin user).
 */
function existingSecretSamples(defaults: Values): Values[] {
  const out: Values[] = [];
  const relevantOf = new Map(leaves().map((l) => [l.path, l.relevant]));
  for (const executor of ['CeleryExecutor', 'LocalExecutor', 'KubernetesExecutor']) {
    for (const externalDb of [false, true]) {
      for (const externalRedis of executor === 'CeleryExecutor' ? [false, true] : [false]) {
        for (const flower of executor === 'CeleryExecutor' ? [false, true] : [false]) {
          // The admin user's Secret is needed with database login and adminUser.enabled only.
          const logins = [{ adminUser: { enabled: true } }, { adminUser: { enabled: false } }, ...EXTERNAL_LOGINS];
          for (const login of logins) {
            let v = mergeValues(mergeValues(defaults, { executor, flower: { enabled: flower } }), login);
            if (externalDb) v = mergeValues(v, PROBE_BASES.find((b) => b.postgres?.enabled === false)!);
            if (externalRedis) v = mergeValues(v, PROBE_BASES.find((b) => b.redis?.enabled === false)!);
            GENERATED_SECRET_PATHS.forEach((path, i) => {
              const relevant = relevantOf.get(path);
              if (!relevant || relevant.js(v)) v = setPath(v, path, `base-existing-${i}`);
            });
            out.push(v);
          }
        }
      }
    }
  }
  return out;
}

/** Leaf values of `v` that differ from `defaults`. */
function diffValues(v: Values, defaults: Values): Values {
  let out: Values = {};
  for (const [path, x] of flatten(v)) if (!deepEqual(x, getPath(defaults, path))) out = setPath(out, path, x);
  return out;
}

/**
 * The probe runs of the values model: every key from the defaults (choices first: they create the structure
 * other probes refine), then again on each base of {@link PROBE_BASES}, so that a value is also found where it
 * lands only under another choice (e.g. the image in the KubernetesExecutor pod template).
 */
export function probeRuns(defaults: Values = defaultValues()): ProbeRun[] {
  const all = leaves().filter((l) => l.leaf.probe.kind !== 'special');
  const ctx = (p: Probe) => mergeValues(defaults, (p as any).context ?? {});
  const isChoice = (l: { leaf: { probe: Probe } }) => l.leaf.probe.kind === 'choice';
  const onDefaults = (choice: boolean) => all.filter((l) => isChoice(l) === choice).flatMap((l) => runsFor(l.path, l.leaf.probe, ctx(l.leaf.probe), defaults, false, l.relevant));
  const onBases = (choice: boolean) => PROBE_BASES.flatMap((base) => {
    const setByBase = new Set(flatten(base).map(([p]) => p));
    return all.filter((l) => isChoice(l) === choice && !setByBase.has(l.path))
      .flatMap((l) => runsFor(l.path, l.leaf.probe, mergeValues(ctx(l.leaf.probe), base), defaults, true, l.relevant));
  });
  return [...onDefaults(true), ...onDefaults(false), ...onBases(true), ...onBases(false)];
}

/** Result of the generator: the template tree of every object, and the runs it was checked against. */
export interface GeneratedTemplates {
  readonly objects: TNode;
  readonly samples: Values[];
}

/** Builds the template tree of every object from the constructs and the values model. */
export function generateTemplates(defaults: Values = defaultValues()): GeneratedTemplates {
  const cache = new Map<string, any[]>();
  const render = (v: Values) => {
    const key = canonical(v);
    if (!cache.has(key)) cache.set(key, renderValues(v));
    return cache.get(key)!;
  };
  let tree = fromJson(render(defaults), splitSentinels);
  const samples: Values[] = [defaults];
  const teach = (run: ProbeRun, values: Values, expected: any[]) => {
    const got = evaluate(tree, values);
    if (deepEqual(got, expected)) return false;
    const ctx = new MergeContext(run, values, defaults);
    tree = ctx.merge(tree, got, expected, '');
    const now = evaluate(tree, values);
    if (!deepEqual(now, expected)) throw new Error(`helm generator: after probing ${run.label}, the template is wrong: ${firstDifference(now, expected)}`);
    return true;
  };
  /**
   * Conditions learnt in different runs can overlap on a combination seen earlier (an item added for one base
   * also showing where another base already has its own). Re-checks the earlier samples the change can reach and
   * patches each broken one under its own, most specific characterization (which the new run's values do not meet).
   */
  const repair = (run: ProbeRun) => {
    let reach = run.when ?? run.guard;
    for (let round = 0; round < 8; round++) {
      const broken = samples.filter((v) => (!reach || reach.js(v)) && !deepEqual(evaluate(tree, v), render(v)));
      if (broken.length === 0) return;
      const fixes: Condition[] = [];
      for (const v of broken) {
        const when = characterize(v, defaults);
        if (!when || deepEqual(evaluate(tree, v), render(v))) continue;
        teach({ ...run, label: `${run.label} (repairing ${canonical(diffValues(v, defaults))})`, kind: 'choice', when, forms: [], allowSwitch: true, range: undefined, guard: undefined }, v, render(v));
        fixes.push(when);
      }
      if (fixes.length === 0) break;
      reach = cond.or(...fixes);
    }
    const still = samples.find((v) => !deepEqual(evaluate(tree, v), render(v)) && (!run.when || run.when.js(v)));
    if (still) throw new Error(`helm generator: probing ${run.label} broke ${canonical(diffValues(still, defaults))}: ${firstDifference(evaluate(tree, still), render(still))}`);
  };
  for (const run of probeRuns(defaults)) {
    let a: any[];
    let b: any[];
    try {
      a = render(run.before);
      b = render(run.after);
    } catch (e) {
      // A base the constructs refuse for this probe (e.g. a CA with sslmode=require): nothing to learn there.
      if (run.optionalBase) continue;
      throw e;
    }
    if (run.when && (run.when.js(run.before) || !run.when.js(run.after))) {
      // A choice that undoes part of its base (tls=false drops the base's CA): that base says nothing about it.
      if (run.optionalBase) continue;
      throw new Error(`helm generator: the condition of ${run.label} (${run.when.helm}) must hold after the probe and not before`);
    }
    // A combination of choices not seen yet: learn it under exactly that combination.
    const beforeWhen = characterize(run.before, defaults);
    if (!deepEqual(evaluate(tree, run.before), a)) {
      if (!beforeWhen) throw new Error(`helm generator: before probing ${run.label}, the template does not reproduce the defaults: ${firstDifference(evaluate(tree, run.before), a)}`);
      teach({ ...run, label: `${run.label} (its base)`, kind: 'choice', when: beforeWhen, forms: [], allowSwitch: true, range: undefined, guard: undefined }, run.before, a);
      samples.push(run.before);
    }
    const changed = teach(run, run.after, b);
    if (changed) repair(run);
    if (!changed && !run.optionalBase && deepEqual(a, b)) {
      throw new Error(`helm generator: values key ${run.path} has no effect on the manifests (${run.label}); wire it in propsFromValues or drop it`);
    }
    const back = evaluate(tree, run.before);
    if (!deepEqual(back, a)) throw new Error(`helm generator: probing ${run.label} broke its base: ${firstDifference(back, a)}`);
    samples.push(run.after);
    if (run.verify) {
      const want = render(run.verify);
      const got = evaluate(tree, run.verify);
      if (!deepEqual(got, want)) {
        throw new Error(`helm generator: ${run.label} was learnt as a copy of the probe value, not a template (checked with a second value): ${firstDifference(got, want)}`);
      }
      samples.push(run.verify);
    }
    if (process.env.CDK8S_AIRFLOW_HELM_DEBUG) {
      // Slow (quadratic): names the probe that breaks an earlier sample. A value other than 1 lists substrings
      // that the sample's difference from the defaults must all contain.
      const filter = process.env.CDK8S_AIRFLOW_HELM_DEBUG === '1' ? [] : process.env.CDK8S_AIRFLOW_HELM_DEBUG.split(',');
      for (const v of samples) {
        if (filter.length && !filter.every((f) => canonical(diffValues(v, defaults)).includes(f))) continue;
        const d = firstDifference(evaluate(tree, v), render(v));
        if (d !== 'none') throw new Error(`helm generator: probing ${run.label} broke an earlier sample: ${d}`);
      }
    }
  }
  // Which generated Secrets a release needs depends on several keys at once (the secrets Job goes away only when
  // every Secret the configuration uses is an existing one): learn each such combination as a whole.
  for (const v of existingSecretSamples(defaults)) {
    const want = render(v);
    if (deepEqual(evaluate(tree, v), want)) { samples.push(v); continue; }
    const when = characterize(v, defaults)!;
    const run: ProbeRun = { label: `existing Secrets on ${canonical(diffValues(v, defaults))}`, path: '', kind: 'choice', before: defaults, after: v, when, forms: [], allowSwitch: true };
    teach(run, v, want);
    samples.push(v);
    repair(run);
  }
  // Later probes must not have broken earlier ones.
  for (const v of samples) {
    const got = evaluate(tree, v);
    const expected = render(v);
    if (!deepEqual(got, expected)) throw new Error(`helm generator: the final template is wrong for ${canonical(diffValues(v, defaults))}: ${firstDifference(got, expected)}`);
  }
  return { objects: tree, samples };
}

/** A short description of the first difference between two JSON values. */
export function firstDifference(got: unknown, want: unknown, path = ''): string {
  if (deepEqual(got, want)) return 'none';
  if (Array.isArray(got) && Array.isArray(want)) {
    if (got.length !== want.length) {
      const ids = (l: unknown[]) => l.map(identity).join(' | ');
      return `${path || '/'}: ${got.length} items instead of ${want.length}\n  got:  ${ids(got).slice(0, 1500)}\n  want: ${ids(want).slice(0, 1500)}`;
    }
    for (let i = 0; i < got.length; i++) if (!deepEqual(got[i], want[i])) return firstDifference(got[i], want[i], `${path}[${i}]`);
  }
  if (got && want && typeof got === 'object' && typeof want === 'object' && !Array.isArray(got) && !Array.isArray(want)) {
    for (const k of new Set([...Object.keys(got), ...Object.keys(want)])) {
      if (!deepEqual((got as any)[k], (want as any)[k])) return firstDifference((got as any)[k], (want as any)[k], `${path}.${k}`);
    }
  }
  return `${path}: got ${canonical(got)?.slice(0, 400)}, want ${canonical(want)?.slice(0, 400)}`;
}

/** Identity of a list element for alignment: object kind/name, a `name` field, or the whole value. */
function identity(x: unknown): string {
  if (x && typeof x === 'object' && !Array.isArray(x)) {
    const o = x as any;
    if (typeof o.kind === 'string' && typeof o.metadata?.name === 'string') return `object ${o.kind}/${o.metadata.name}`;
    if (typeof o.name === 'string') return typeof o.mountPath === 'string' ? `name ${o.name} at ${o.mountPath}` : `name ${o.name}`;
  }
  return canonical(x);
}

/** Longest common subsequence of two identity lists: matched index pairs. */
function lcs(a: string[], b: string[]): [number, number][] {
  const n = a.length;
  const m = b.length;
  const t: number[][] = Array.from({ length: n + 1 }, () => new Array(m + 1).fill(0));
  for (let i = n - 1; i >= 0; i--) for (let j = m - 1; j >= 0; j--) t[i][j] = a[i] === b[j] ? t[i + 1][j + 1] + 1 : Math.max(t[i + 1][j], t[i][j + 1]);
  const out: [number, number][] = [];
  let i = 0;
  let j = 0;
  while (i < n && j < m) {
    if (a[i] === b[j]) { out.push([i, j]); i++; j++; } else if (t[i + 1][j] >= t[i][j + 1]) i++; else j++;
  }
  return out;
}

const and = (a: Condition | undefined, b: Condition): Condition => (a ? cond.and(a, b) : b);

class MergeContext {
  public changed = false;
  /** `a` in merge() is what the tree gives for `values`; `b` is what the constructs give. */
  /** Most specific condition of `values` (every choice and set optional): the last resort for a difference. */
  private readonly fallback?: Condition;
  /** The probed value's forms, then those of the distinctive values the run's bases set (see {@link contextForms}). */
  private readonly forms: ProbeRun['forms'];
  constructor(private readonly run: ProbeRun, private readonly values: Values, defaults: Values) {
    this.fallback = characterize(values, defaults);
    this.forms = [...run.forms, ...contextForms(values, defaults, run.path)];
  }

  private fail(path: string, why: string): never {
    throw new Error(`helm generator: probing ${this.run.label}: at ${path || '/'}: ${why}`);
  }

  /** A JSON subtree with the probed value substituted where it appears, and sentinels split. */
  private fromJson(json: unknown): TNode {
    const sub = this.substitute(json);
    if (sub) return sub;
    if (json && typeof json === 'object') {
      if (Array.isArray(json)) return { t: 'list', items: json.map((x) => ({ node: this.fromJson(x) })) };
      const o = json as Record<string, unknown>;
      const keys = Object.keys(o);
      if (keys.length === 1 && keys[0] === YAML_TEXT_KEY) return { t: 'yamlText', node: this.fromJson(o[YAML_TEXT_KEY]) };
      return { t: 'map', entries: keys.filter((k) => o[k] !== undefined).map((k) => ({ key: k, node: this.fromJson(o[k]) })) };
    }
    return fromJson(json, splitSentinels);
  }

  /** The probed value (or a derived form) as an expression, or a string with it inside. */
  private substitute(json: unknown): TNode | undefined {
    for (const f of this.forms) {
      if (deepEqual(json, f.value)) return { t: 'expr', e: f.expr };
      if (typeof f.value === 'number' && json === String(f.value)) return { t: 'str', parts: [f.expr] };
    }
    if (typeof json !== 'string') return undefined;
    // Every form in turn (a URL holds a host, a port and a database index), splitting the literal pieces left.
    let parts: Part[] = [json];
    // Longest first: a derived form that carries its separator (`registry/`) wins over the bare value.
    const byLength = [...this.forms].sort((x, y) => String(y.value).length - String(x.value).length);
    for (const f of byLength) {
      if (typeof f.value !== 'string' && typeof f.value !== 'number') continue;
      const needle = String(f.value);
      const re = typeof f.value === 'number' ? new RegExp(`(?<![A-Za-z0-9.])${needle}(?![A-Za-z0-9.])`, 'g') : undefined;
      parts = parts.flatMap((p): Part[] => {
        if (typeof p !== 'string') return [p];
        const pieces = re ? p.split(re) : p.split(needle);
        return pieces.length < 2 ? [p] : pieces.flatMap((x, k) => (k > 0 ? [f.expr, x] : [x]));
      });
    }
    if (parts.every((p) => typeof p === 'string')) return undefined;
    const out: Part[] = [];
    for (const p of parts) {
      if (typeof p !== 'string') { out.push(p); continue; }
      const lit = splitSentinels(p);
      if (lit.t === 'lit') { if (lit.v !== '') out.push(lit.v as string); } else if (lit.t === 'str') out.push(...lit.parts);
    }
    return { t: 'str', parts: out };
  }

  /**
   * Replaces the old value inside an existing string node (keeping earlier substitutions, e.g. the repository
   * when probing the tag): every occurrence first, then each occurrence alone; the result must give both outputs.
   */
  private substituteInPlace(node: TNode, a: unknown, b: unknown): TNode | undefined {
    if (typeof a !== 'string' || typeof b !== 'string') return undefined;
    const parts: Part[] = node.t === 'str' ? node.parts : node.t === 'lit' && typeof node.v === 'string' ? [node.v] : [];
    if (parts.length === 0) return undefined;
    for (const f of this.run.forms) {
      if (f.before === undefined || f.before === null || f.before === '' || typeof f.before === 'object') continue;
      const needle = String(f.before);
      const re = new RegExp(typeof f.before === 'number' ? `(?<![A-Za-z0-9.])${escapeRe(needle)}(?![A-Za-z0-9.])` : escapeRe(needle), 'g');
      const occurrences: [number, number][] = [];
      parts.forEach((p, i) => { if (typeof p === 'string') for (const m of p.matchAll(re)) occurrences.push([i, m.index!]); });
      const candidates = [occurrences, ...occurrences.map((o) => [o])];
      for (const chosen of candidates) {
        if (chosen.length === 0) continue;
        const out: Part[] = [];
        parts.forEach((p, i) => {
          if (typeof p !== 'string') { out.push(p); return; }
          const cuts = chosen.filter(([pi]) => pi === i).map(([, at]) => at).sort((x, y) => x - y);
          let from = 0;
          for (const at of cuts) { if (at > from) out.push(p.slice(from, at)); out.push(f.expr); from = at + needle.length; }
          if (from < p.length) out.push(p.slice(from));
        });
        const candidate: TNode = { t: 'str', parts: out };
        if (evaluate(candidate, this.run.before) === evaluate(node, this.run.before) && evaluate(candidate, this.values) === b) return candidate;
      }
    }
    return undefined;
  }

  public merge(node: TNode, a: unknown, b: unknown, path: string): TNode {
    if (deepEqual(a, b)) return node;
    const after = this.values;
    if (node.t === 'switch') {
      const i = node.cases.findIndex((c) => c.when.js(after));
      if (i < 0) return { ...node, otherwise: this.merge(node.otherwise, a, b, path) };
      const cases = node.cases.slice();
      cases[i] = { ...cases[i], node: this.merge(cases[i].node, a, b, path) };
      return { ...node, cases };
    }
    if (node.t === 'expr' && deepEqual(evaluate(node, after), b)) { this.changed = true; return node; }
    if (node.t === 'yamlText') {
      return { t: 'yamlText', node: this.merge(node.node, (a as any)[YAML_TEXT_KEY], (b as any)[YAML_TEXT_KEY], path) };
    }
    // The whole value is the probed value: substitute it (optional values keep the old node when unset).
    for (const f of this.run.forms) {
      if (deepEqual(b, f.value) && (this.run.kind === 'optional' || this.run.kind === 'yaml' || deepEqual(a, f.before))) {
        this.changed = true;
        const e: TNode = { t: 'expr', e: f.expr };
        // Optional values are guarded by being set; scalars only by the probe's context.
        const when = this.run.kind === 'scalar' ? this.run.guard : this.run.when ?? this.run.guard;
        return when ? { t: 'switch', cases: [{ when, node: e }], otherwise: node } : e;
      }
    }
    const isMap = (x: unknown) => x !== null && typeof x === 'object' && !Array.isArray(x);
    if (isMap(a) && isMap(b) && node.t === 'map' && !(YAML_TEXT_KEY in (a as object))) return this.mergeMap(node, a as any, b as any, path);
    if (Array.isArray(a) && Array.isArray(b) && node.t === 'list') return this.mergeList(node, a, b, path);
    return this.mergeScalar(node, a, b, path);
  }

  private mergeScalar(node: TNode, a: unknown, b: unknown, path: string): TNode {
    this.changed = true;
    const { when, allowSwitch, kind } = this.run;
    if (allowSwitch) {
      const n = this.fromJson(b);
      if (node.t === 'switch') return { ...node, cases: [{ when: when!, node: n }, ...node.cases] };
      return { t: 'switch', cases: [{ when: when!, node: n }], otherwise: node };
    }
    // Set or not set: the new value holds only when the key is set.
    if ((kind === 'optional' || kind === 'yaml') && when) return { t: 'switch', cases: [{ when: when!, node: this.fromJson(b) }], otherwise: node };
    const guard = (n: TNode): TNode => (this.run.guard ? { t: 'switch', cases: [{ when: this.run.guard, node: n }], otherwise: node } : n);
    const inPlace = this.substituteInPlace(node, a, b);
    if (inPlace) return guard(inPlace);
    const sub = this.substitute(b);
    if (sub) {
      // A plain value: the substituted node must also give the old output with the old value.
      if (deepEqual(evaluate(sub, this.run.before), evaluate(node, this.run.before))) return guard(sub);
    }
    // What the tree predicts for this combination is wrong for another reason (a value learnt on the defaults that
    // does not apply here): correct it for exactly this combination.
    if (this.fallback && !this.fallback.js(this.run.before)) {
      return { t: 'switch', cases: [{ when: this.fallback, node: this.fromJson(b) }], otherwise: node };
    }
    this.fail(path, `${canonical(a)} became ${canonical(b)}, which is not the probed value where it lands; `
      + 'declare a derived form or make the key a choice in src/values/model.ts');
  }

  private mergeMap(node: Extract<TNode, { t: 'map' }>, a: Record<string, unknown>, b: Record<string, unknown>, path: string): TNode {
    const { when, kind } = this.run;
    const before = this.values;
    const entries: MapEntry[] = node.entries.slice();
    // Which entry produced each key before the probe (later entries win, as in evaluate()).
    const owner = new Map<string, number>();
    entries.forEach((e, i) => {
      if (e.when && !e.when.js(before)) return;
      if ('spread' in e) for (const k of Object.keys(e.spread.js(before, {}) ?? {})) owner.set(k, i);
      else owner.set(e.key, i);
    });
    const added = Object.keys(b).filter((k) => b[k] !== undefined && a[k] === undefined);
    const removed = Object.keys(a).filter((k) => a[k] !== undefined && b[k] === undefined);
    // A map from values merged in (e.g. podLabels into the pod labels).
    if (kind === 'yaml' && removed.length === 0 && added.length > 0) {
      const f = this.run.forms[0];
      const pv = f.value as Record<string, unknown>;
      if (isPlainMap(pv) && deepEqual(Object.fromEntries(added.map((k) => [k, b[k]])), pv)) {
        this.changed = true;
        entries.unshift({ spread: f.expr });
        const rest = Object.keys(a).filter((k) => !deepEqual(a[k], b[k]));
        let out: TNode = { t: 'map', entries };
        for (const k of rest) out = this.mergeMap(out as any, { [k]: a[k] }, { [k]: b[k] }, path);
        return out;
      }
    }
    for (const k of removed) {
      const i = owner.get(k);
      if (i === undefined) this.fail(`${path}.${k}`, 'a key disappeared that no entry produced');
      const e = entries[i];
      if ('spread' in e) this.fail(`${path}.${k}`, 'a key from a values map disappeared');
      if (!when) this.fail(`${path}.${k}`, `the key disappears, but ${this.run.path} is not a choice or optional value`);
      this.changed = true;
      if (isPlainMap(a[k]) && Object.keys(a[k] as object).length > 0 && !(YAML_TEXT_KEY in (a[k] as object))) {
        // A map that became empty (or went away): remove its entries one by one and leave the key out when
        // nothing is left, so that entries other values add to it (an Ingress class's annotation) survive.
        entries[i] = { ...e, node: this.merge(e.node, a[k], {}, `${path}.${k}`), omitEmpty: true };
        continue;
      }
      entries[i] = { ...e, when: and(e.when, cond.not(when)) };
    }
    for (const k of added) {
      if (!when) this.fail(`${path}.${k}`, `a key appears, but ${this.run.path} is not a choice or optional value (declare 'structural' on a scalar)`);
      this.changed = true;
      // A map left out because it is empty here: add to its entries.
      const j = entries.findIndex((e) => !('spread' in e) && e.key === k && e.omitEmpty && (!e.when || e.when.js(before)));
      if (j >= 0 && isPlainMap(b[k])) {
        const e = entries[j] as Extract<MapEntry, { key: string }>;
        entries[j] = { ...e, node: this.merge(e.node, evaluate(e.node, before), b[k], `${path}.${k}`) };
        continue;
      }
      entries.push({ key: k, node: this.fromJson(b[k]), when });
    }
    for (const k of Object.keys(a)) {
      if (b[k] === undefined || deepEqual(a[k], b[k])) continue;
      const i = owner.get(k)!;
      const e = entries[i];
      if ('spread' in e) this.fail(`${path}.${k}`, 'a key from a values map changed');
      entries[i] = { ...e, node: this.merge(e.node, a[k], b[k], `${path}.${k}`) };
    }
    return { t: 'map', entries };
  }

  private mergeList(node: Extract<TNode, { t: 'list' }>, a: unknown[], b: unknown[], path: string, reordering = false): TNode {
    const { when, kind, range } = this.run;
    const before = this.values;
    const items: ListItem[] = node.items.slice();
    // Which item produced each element before the probe.
    const source: { item: number; plain: boolean }[] = [];
    items.forEach((it, i) => {
      if (it.when && !it.when.js(before)) return;
      if ('spread' in it) for (const _ of it.spread.js(before, {}) ?? []) source.push({ item: i, plain: false });
      else if ('range' in it) for (const _ of it.range.js(before, {}) ?? []) source.push({ item: i, plain: false });
      else source.push({ item: i, plain: true });
    });
    if (source.length !== a.length) this.fail(path, `internal: ${source.length} sources for ${a.length} elements`);

    // Elements from a values list in the wrong place (e.g. extraVolumeMounts learnt before a mount that only a
    // choice adds): move that item right after the element that precedes them in the constructs' output.
    if (!reordering) {
      for (let i = 0; i < items.length; i++) {
        const it = items[i];
        if (!('spread' in it) && !('range' in it)) continue;
        const els = a.filter((_, k) => source[k].item === i);
        if (els.length === 0) continue;
        const from = a.findIndex((_, k) => source[k].item === i);
        const at = findSequence(b, els);
        if (at < 0 || at === from) continue;
        const anchorId = at > 0 ? identity(b[at - 1]) : undefined;
        const anchorK = anchorId === undefined ? -1 : a.findIndex((x, k) => identity(x) === anchorId && source[k].plain);
        if (anchorId !== undefined && anchorK < 0) continue;
        const moved = items.slice();
        moved.splice(i, 1);
        const anchorItem = anchorK < 0 ? -1 : moved.indexOf(items[source[anchorK].item]);
        moved.splice(anchorItem + 1, 0, it);
        const next: TNode = { t: 'list', items: moved };
        this.changed = true;
        return this.mergeList(next as any, evaluate(next, before) as unknown[], b, path, true);
      }
    }

    const ia = a.map(identity);
    const ib = b.map(identity);
    const matches = lcs(ia, ib);
    // Regions between matches: [aFrom, aTo) replaced by [bFrom, bTo).
    const regions: { aFrom: number; aTo: number; bFrom: number; bTo: number }[] = [];
    let pa = 0;
    let pb = 0;
    for (const [i, j] of [...matches, [a.length, b.length] as [number, number]]) {
      if (i > pa || j > pb) regions.push({ aFrom: pa, aTo: i, bFrom: pb, bTo: j });
      pa = i + 1;
      pb = j + 1;
    }
    const replaced = new Map<number, TNode>();
    const dropped = new Set<number>();
    const inserts: { afterItem: number; items: ListItem[] }[] = [];
    for (const [i, j] of matches) {
      if (deepEqual(a[i], b[j])) continue;
      const s = source[i];
      if (!s.plain) this.fail(`${path}[${i}]`, 'an element from a values list changed');
      replaced.set(s.item, this.merge((items[s.item] as { node: TNode }).node, a[i], b[j], `${path}[${i}]`));
    }
    for (const r of regions) {
      const na = r.aTo - r.aFrom;
      const nb = r.bTo - r.bFrom;
      const prevItem = r.aFrom > 0 ? source[r.aFrom - 1].item : -1;
      // Scalars of a values list rendered one element each (CIDRs into ipBlocks).
      if (range && na > 0 && nb > 0 && this.tryRange(items, source, a, b, r, range, dropped)) continue;
      // A list from values appended (extraEnv, tolerations, ...).
      if (kind === 'yaml' && na === 0 && Array.isArray(this.run.forms[0].value) && deepEqual(b.slice(r.bFrom, r.bTo), this.run.forms[0].value)) {
        this.changed = true;
        inserts.push({ afterItem: prevItem, items: [{ spread: this.run.forms[0].expr }] });
        continue;
      }
      // Changed in place only when nothing can guard a replacement (plain scalars); choices and optional
      // values keep each variant's elements apart, guarded by the condition.
      // Maps of the same shape (an RBAC rule whose resourceNames grow) are refined element by element too: their
      // own differences get guarded inside, so overlapping conditions never render two variants of one element.
      const sameShape = na === nb && na > 0 && Array.from({ length: na }, (_, k) => [a[r.aFrom + k], b[r.bFrom + k]])
        .every(([x, y]) => isPlainMap(x) && isPlainMap(y) && !(YAML_TEXT_KEY in x) && canonical(Object.keys(x).sort()) === canonical(Object.keys(y).sort()) && source[r.aFrom].plain);
      if (na === nb && na > 0 && (!when || sameShape)) {
        // Changed in place (different identity): merge element by element.
        for (let k = 0; k < na; k++) {
          const s = source[r.aFrom + k];
          if (!s.plain) this.fail(`${path}[${r.aFrom + k}]`, 'an element from a values list changed');
          replaced.set(s.item, this.merge((items[s.item] as { node: TNode }).node, a[r.aFrom + k], b[r.bFrom + k], `${path}[${r.aFrom + k}]`));
        }
        continue;
      }
      if (!when) this.fail(path, `elements appear or disappear (${na} -> ${nb}), but ${this.run.path} is not a choice or optional value`);
      this.changed = true;
      for (let k = r.aFrom; k < r.aTo; k++) {
        const s = source[k];
        if (!s.plain) this.fail(`${path}[${k}]`, `an element from a values list disappeared (tree gives ${a.map(identity).join(', ')}; constructs give ${b.map(identity).join(', ')})`);
        dropped.add(s.item);
      }
      if (nb > 0) inserts.push({ afterItem: prevItem, items: b.slice(r.bFrom, r.bTo).map((x) => ({ node: this.fromJson(x), when })) });
    }
    // Apply: replaced nodes, dropped items guarded, inserts placed after their anchor.
    const out: ListItem[] = [];
    const at = (anchor: number) => inserts.filter((x) => x.afterItem === anchor).forEach((x) => out.push(...x.items));
    at(-1);
    items.forEach((it, i) => {
      let item = it;
      if (replaced.has(i)) item = { ...(item as any), node: replaced.get(i)! };
      if (dropped.has(i)) item = { ...item, when: and(item.when, cond.not(when!)) };
      out.push(item);
      at(i);
    });
    return { t: 'list', items: out };
  }

  private tryRange(items: ListItem[], source: { item: number; plain: boolean }[], a: unknown[], b: unknown[],
    r: { aFrom: number; aTo: number; bFrom: number; bTo: number }, range: { before: unknown[]; after: unknown[] },
    dropped: Set<number>): boolean {
    if (r.aTo - r.aFrom !== range.before.length || r.bTo - r.bFrom !== range.after.length) return false;
    const itemExpr: Expr = { helm: '$item', js: (_v, scope) => scope.item, type: exprType(range.after[0]) };
    const template = (x: unknown, value: unknown): TNode | undefined => {
      const needle = String(value);
      const walk = (j: unknown): TNode => {
        if (j === value) return { t: 'expr', e: itemExpr };
        if (typeof j === 'string' && j.includes(needle)) {
          const parts: Part[] = [];
          j.split(needle).forEach((p, i) => { if (i > 0) parts.push(itemExpr); if (p) parts.push(p); });
          return { t: 'str', parts };
        }
        if (Array.isArray(j)) return { t: 'list', items: j.map((y) => ({ node: walk(y) })) };
        if (j && typeof j === 'object') return { t: 'map', entries: Object.entries(j).map(([k, y]) => ({ key: k, node: walk(y) })) };
        return fromJson(j, splitSentinels);
      };
      return walk(x);
    };
    const item = template(b[r.bFrom], range.after[0])!;
    const rangeExpr: Expr = { helm: valuesRef(this.run.path), js: (v) => getPath(v, this.run.path), type: 'yaml' };
    const check = (list: unknown[], els: unknown[]) => list.length === els.length && list.every((x, k) => deepEqual(evaluate(item, {}, { item: x }), els[k]));
    if (!check(range.after, b.slice(r.bFrom, r.bTo)) || !check(range.before, a.slice(r.aFrom, r.aTo))) return false;
    for (let k = r.aFrom; k < r.aTo; k++) if (!source[k].plain) return false;
    const first = source[r.aFrom].item;
    items[first] = { range: rangeExpr, item, when: items[first].when };
    for (let k = r.aFrom + 1; k < r.aTo; k++) dropped.add(source[k].item);
    if (r.aTo - r.aFrom > 1 && !this.run.when) {
      // Extra default elements are covered by the range: remove them outright.
      for (let k = r.aFrom + 1; k < r.aTo; k++) items[source[k].item] = { node: { t: 'lit', v: null }, when: { helm: 'false', js: () => false } };
      for (let k = r.aFrom + 1; k < r.aTo; k++) dropped.delete(source[k].item);
    }
    this.changed = true;
    return true;
  }
}

/**
 * Forms of the values a run's base sets away from the defaults, when distinctive (strings of 5+ characters,
 * integers of 10+): structure that appears only under a combination of bases (Flower with an external Redis
 * and its CA) is learnt with them templated, not with the base's example values baked in. Bases use values
 * that occur nowhere else (`base-redis.example.net`, port 6389); the final check and the equivalence tests
 * would show a wrong match.
 */
function contextForms(values: Values, defaults: Values, probed: string): ProbeRun['forms'] {
  const out: ProbeRun['forms'] = [];
  for (const { path, leaf } of leaves()) {
    const p = leaf.probe;
    if (path === probed || (p.kind !== 'scalar' && p.kind !== 'optional')) continue;
    const v = getPath(values, path);
    const d = getPath(defaults, path);
    if (deepEqual(v, d)) continue;
    if (!((typeof v === 'string' && v.length >= 5) || (typeof v === 'number' && Number.isInteger(v) && v >= 10))) continue;
    out.push(...formsOf(path, v, d, p.forms));
  }
  return out;
}

/** Index where `needle` occurs in `list` as a contiguous run (deep equality), or -1. */
function findSequence(list: unknown[], needle: unknown[]): number {
  for (let i = 0; i + needle.length <= list.length; i++) if (needle.every((x, k) => deepEqual(x, list[i + k]))) return i;
  return -1;
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function isPlainMap(x: unknown): x is Record<string, unknown> {
  return x !== null && typeof x === 'object' && !Array.isArray(x);
}

