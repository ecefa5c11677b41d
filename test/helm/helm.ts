/**
 * The real helm binary (pinned, built once by .ci/tools/helm.sh) and what the chart tests compare: rendered
 * manifests normalized so that `helm template` and `cdk8s synth` of the same configuration can be compared.
 */
import { execFileSync, spawnSync } from 'child_process';
import { join } from 'path';
import { parse, parseAllDocuments } from 'yaml';
import { Manifest } from '../util';

export const REPO = join(__dirname, '..', '..');
export const CHART_DIR = join(REPO, 'charts', 'airflow');

let bin: string | undefined;

/** Path of the pinned helm binary (builds it on first use; cached across runs). */
export function helmBinary(): string {
  bin ??= execFileSync('bash', [join(REPO, '.ci', 'tools', 'helm.sh')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
  return bin;
}

/** Runs helm; returns its exit status and combined output. */
export function helm(args: string[]): { status: number; output: string } {
  const r = spawnSync(helmBinary(), args, { encoding: 'utf8', cwd: REPO, maxBuffer: 64 * 1024 * 1024 });
  return { status: r.status ?? -1, output: `${r.stdout}${r.stderr}` };
}

export interface RenderOptions {
  readonly release?: string;
  readonly namespace?: string;
  /** Values files (paths relative to the repository). */
  readonly files?: string[];
  /** Values as an object (written as one `--values` file after `files`). */
  readonly values?: object;
  readonly chart?: string;
}

/** JSON with every non-ASCII character escaped: a values file Helm's YAML reader takes as written (U+2028 and U+2029 raw would be line breaks). */
export function asciiJson(x: unknown): string {
  return JSON.stringify(x).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** `helm template` of the chart: its raw output (the test hook pod excluded unless asked for). */
export function helmTemplateText(opts: RenderOptions = {}, withTests = false): string {
  const args = ['template', opts.release ?? 'airflow', opts.chart ?? CHART_DIR, '--namespace', opts.namespace ?? 'airflow'];
  for (const f of opts.files ?? []) args.push('--values', join(REPO, f));
  if (opts.values) args.push('--values', '-');
  if (!withTests) args.push('--skip-tests');
  const r = spawnSync(helmBinary(), args, {
    encoding: 'utf8', cwd: REPO, maxBuffer: 64 * 1024 * 1024, input: opts.values ? asciiJson(opts.values) : undefined,
  });
  if (r.status !== 0) throw new Error(`helm ${args.join(' ')} failed:\n${r.stderr}`);
  return r.stdout;
}

/**
 * Parses rendered YAML strictly, as the API server reads it: YAML 1.1 (Go's yaml), a duplicate key is an error, and
 * so is any other error or warning of the parser.
 */
export function parseStrict(text: string): Manifest[] {
  const docs = parseAllDocuments(text, { version: '1.1', uniqueKeys: true, strict: true, prettyErrors: true });
  const problems = docs.flatMap((d, i) => [...d.errors, ...d.warnings].map((e) => `document ${i + 1}: ${e.message}`));
  if (problems.length) throw new Error(`helm template output is not strict YAML:\n${problems.join('\n')}`);
  return docs.map((d) => d.toJSON()).filter((x) => x) as Manifest[];
}

/** `helm template` of the chart: the objects it renders (the test hook pod excluded unless asked for), parsed strictly. */
export function helmTemplate(opts: RenderOptions = {}, withTests = false): Manifest[] {
  return parseStrict(helmTemplateText(opts, withTests));
}

/**
 * What `helm template` and `cdk8s synth` may differ in: Helm's own labels on objects (`helm.sh/chart`, the
 * managed-by value), the YAML formatting of pod_template.yaml, and nulls, empty lists and empty maps (Kubernetes
 * takes each as absent: the chart prints a list whose items are all conditional as null when none applies).
 * Everything else must be identical, Job names (hashes of their pods) included. Objects are sorted by kind and name.
 */
export function normalize(manifests: Manifest[]): Manifest[] {
  const empty = (v: unknown) => v === null || v === undefined || (Array.isArray(v) && v.length === 0)
    || (typeof v === 'object' && !Array.isArray(v) && Object.keys(v as object).length === 0);
  const walk = (x: any, key?: string): any => {
    if (Array.isArray(x)) return x.map((y) => walk(y));
    if (x && typeof x === 'object') {
      const out: any = {};
      for (const k of Object.keys(x).sort()) {
        const v = x[k];
        if (k === 'helm.sh/chart' || empty(v)) continue;
        if (k === 'app.kubernetes.io/managed-by' && key === 'labels') { out[k] = '<managed-by>'; continue; }
        out[k] = k === 'pod_template.yaml' && typeof v === 'string' ? walk(parse(v)) : walk(v, k);
      }
      return out;
    }
    return x;
  };
  const id = (m: Manifest) => `${m.kind}/${m.metadata?.namespace ?? ''}/${m.metadata?.name}`;
  return manifests.map((m) => walk(m)).sort((a, b) => id(a).localeCompare(id(b)));
}

/** The first difference between two normalized lists of objects (`none` when equal), for a readable failure. */
export function firstDifference(a: Manifest[], b: Manifest[]): string {
  const ids = (l: Manifest[]) => l.map((m) => `${m.kind}/${m.metadata?.name}`);
  const onlyA = ids(a).filter((x) => !ids(b).includes(x));
  const onlyB = ids(b).filter((x) => !ids(a).includes(x));
  if (onlyA.length || onlyB.length) return `objects only in the first: ${onlyA.join(', ') || '-'}; only in the second: ${onlyB.join(', ') || '-'}`;
  const diff = (x: any, y: any, path: string): string | undefined => {
    if (JSON.stringify(x) === JSON.stringify(y)) return undefined;
    if (x && y && typeof x === 'object' && typeof y === 'object' && Array.isArray(x) === Array.isArray(y)) {
      for (const k of new Set([...Object.keys(x), ...Object.keys(y)])) {
        const d = diff(x[k], y[k], `${path}.${k}`);
        if (d) return d;
      }
    }
    return `${path}: ${JSON.stringify(x)?.slice(0, 400)} != ${JSON.stringify(y)?.slice(0, 400)}`;
  };
  for (let i = 0; i < a.length; i++) {
    const d = diff(a[i], b[i], `${a[i].kind}/${a[i].metadata?.name}`);
    if (d) return d;
  }
  return 'none';
}
