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

/** `helm template` of the chart: the objects it renders (the test hook pod excluded unless asked for). */
export function helmTemplate(opts: RenderOptions = {}, withTests = false): Manifest[] {
  const args = ['template', opts.release ?? 'airflow', opts.chart ?? CHART_DIR, '--namespace', opts.namespace ?? 'airflow'];
  for (const f of opts.files ?? []) args.push('--values', join(REPO, f));
  if (opts.values) args.push('--values', '-');
  if (!withTests) args.push('--skip-tests');
  const r = spawnSync(helmBinary(), args, {
    encoding: 'utf8', cwd: REPO, maxBuffer: 64 * 1024 * 1024, input: opts.values ? JSON.stringify(opts.values) : undefined,
  });
  if (r.status !== 0) throw new Error(`helm ${args.join(' ')} failed:\n${r.stderr}`);
  return parseAllDocuments(r.stdout).map((d) => d.toJSON()).filter((x) => x) as Manifest[];
}

/** A Job's name without its content hash (`<release>-migrate-1a2b3c4d` -> `<release>-migrate-#`). */
const JOB_HASH = /-[0-9a-f]{8}$/;

/**
 * What `helm template` and `cdk8s synth` may differ in: Helm's own labels (`helm.sh/chart`, the managed-by value),
 * Job name hashes (Helm hashes the rendered pod template, the constructs their props), pod_template.yaml's YAML
 * formatting. Everything else must be identical. Objects are sorted by kind and name.
 */
export function normalize(manifests: Manifest[]): Manifest[] {
  const jobNames = new Map<string, string>();
  for (const m of manifests) if (m.kind === 'Job') jobNames.set(m.metadata.name, m.metadata.name.replace(JOB_HASH, '-#'));
  const walk = (x: any, key?: string): any => {
    if (typeof x === 'string') return jobNames.get(x) ?? x.replace(/("app\.kubernetes\.io\/managed-by":)"[^"]*"/g, '$1"<managed-by>"');
    if (Array.isArray(x)) return x.map((y) => walk(y));
    if (x && typeof x === 'object') {
      const out: any = {};
      for (const [k, v] of Object.entries(x)) {
        if (k === 'helm.sh/chart') continue;
        if (k === 'app.kubernetes.io/managed-by' && (key === 'labels' || key === 'matchLabels')) { out[k] = '<managed-by>'; continue; }
        if (k === 'pod_template.yaml' && typeof v === 'string') { out[k] = walk(parse(v)); continue; }
        out[k] = walk(v, k);
      }
      return out;
    }
    return x;
  };
  const id = (m: Manifest) => `${m.kind}/${m.metadata?.namespace ?? ''}/${m.metadata?.name}`;
  return manifests.map((m) => walk(m)).sort((a, b) => id(a).localeCompare(id(b)));
}
