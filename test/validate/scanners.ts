/**
 * Runs real Kubernetes scanners (pinned, installed by .ci/tools/*.sh into ${CDK8S_AIRFLOW_CACHE:-~/.cache/cdk8s-airflow})
 * on manifest sources, turns their reports into one {@link Finding} shape, and applies the one exceptions file,
 * test/validate/scanner-exceptions.yaml.
 *
 * Every tool runs with its default checks; suppressions written into manifests are refused (kube-score with
 * --disable-ignore-checks-annotations, checkov's `checkov.io/skip*` annotations by {@link suppressionAnnotations},
 * trivy run away from any trivy.yaml or .trivyignore and without TRIVY_* variables), so the exceptions file is the
 * only way to accept a finding.
 *
 * Adding a tool is one entry in SCANNERS: how to install it and how to turn its report into findings.
 */
import { execFileSync, spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import Ajv from 'ajv';
import { parse, stringify } from 'yaml';
import { ManifestSource } from './manifest-sources';
import { Manifest } from '../util';

export const REPO_ROOT = path.resolve(__dirname, '..', '..');
export const EXCEPTIONS_FILE = path.join(__dirname, 'scanner-exceptions.yaml');

/** One problem a scanner reports on one object. */
export interface Finding {
  readonly tool: string;
  /** The tool's check id, e.g. `container-resources` or `CKV_K8S_11`. */
  readonly check: string;
  /** The tool's message for this finding. */
  readonly message: string;
  readonly source: string;
  readonly kind: string;
  readonly name: string;
  readonly namespace?: string;
  /** `app.kubernetes.io/component` of the object (or of its pod template). */
  readonly component?: string;
  /** Container the finding is about, when the tool says. */
  readonly container?: string;
  /** The tool's severity, when it has one (trivy: LOW, MEDIUM, HIGH, CRITICAL). */
  readonly severity?: string;
}

/** One accepted finding pattern of scanner-exceptions.yaml. */
export interface ScannerException {
  readonly tool: string;
  readonly check: string;
  /** Regular expression the finding's message must match (narrows a check that reports several things). */
  readonly message?: string;
  /** Every field given must match; an omitted field matches anything. */
  readonly where: {
    readonly components?: string[];
    readonly kinds?: string[];
    readonly names?: string[];
    readonly sources?: string[];
  };
  readonly reason: string;
}

/** A manifest source written to disk for the tools. */
export interface WrittenSource {
  readonly source: string;
  readonly file: string;
  readonly manifests: Manifest[];
}

export interface Scanner {
  readonly name: string;
  /** Pinned version, for reports. */
  readonly version: string;
  /** Script under .ci/tools that prints the tool's path, installing it once. */
  readonly installScript: string;
  /** Runs the tool on the written sources (one process for all, or one per source) and returns every finding. */
  scan(bin: string, sources: WrittenSource[]): Finding[];
}

/** Prints an install script's result: the absolute path of the pinned tool (installs it on first use). */
export function installTool(scanner: Scanner): string {
  const out = execFileSync('bash', [path.join(REPO_ROOT, '.ci', 'tools', scanner.installScript)], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return out.trim().split('\n').pop()!;
}

/** {@link installTool} without blocking, so that a cold cache builds kube-score while pip installs checkov. */
export function installToolAsync(scanner: Scanner): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [path.join(REPO_ROOT, '.ci', 'tools', scanner.installScript)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => { out += d; });
    child.on('error', reject);
    child.on('close', (code) => (code === 0
      ? resolve(out.trim().split('\n').pop()!)
      : reject(new Error(`.ci/tools/${scanner.installScript} exited ${code}`))));
  });
}

/** Writes each source to `<dir>/<name>.yaml` (one multi-document file per source). */
export function writeSources(dir: string, sources: ManifestSource[]): WrittenSource[] {
  fs.mkdirSync(dir, { recursive: true });
  return sources.map((s) => {
    const manifests = s.manifests();
    const file = path.join(dir, `${s.name.replace(/[^A-Za-z0-9_.-]+/g, '_')}.yaml`);
    fs.writeFileSync(file, manifests.map((m) => stringify(m, { lineWidth: 0 })).join('---\n'));
    return { source: s.name, file, manifests };
  });
}

function componentOf(m: Manifest | undefined): string | undefined {
  const key = 'app.kubernetes.io/component';
  return m?.metadata?.labels?.[key] ?? m?.spec?.template?.metadata?.labels?.[key];
}

function lookup(manifests: Manifest[], kind: string, name: string): Manifest | undefined {
  return manifests.find((m) => m.kind === kind && m.metadata?.name === name);
}

function run(bin: string, args: string[], okStatus: number[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): string {
  const r = spawnSync(bin, args, { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, stdio: ['ignore', 'pipe', 'pipe'], ...options });
  if (r.error) throw r.error;
  if (!okStatus.includes(r.status ?? -1)) {
    throw new Error(`${path.basename(bin)} ${args.join(' ')} exited ${r.status ?? r.signal}:\n${r.stderr}\n${r.stdout.slice(0, 2000)}`);
  }
  return r.stdout;
}

/** kube-score grades: 1 critical, 5 warning, 7 almost OK, 10 OK. Anything below OK is a finding. */
const KUBE_SCORE_OK = 10;

export const KUBE_SCORE: Scanner = {
  name: 'kube-score',
  version: 'v1.20.0',
  installScript: 'kube-score.sh',
  scan(bin, sources) {
    const findings: Finding[] = [];
    // One run per source: kube-score relates objects (Service -> Deployment, NetworkPolicy -> pods), so sources
    // must not be mixed. Exit status 1 means "critical findings", which we read from the report.
    for (const s of sources) {
      const out = run(bin, ['score', '--output-format', 'json', '--disable-ignore-checks-annotations',
        '--disable-optional-checks-annotations', s.file], [0, 1]);
      let report: any[];
      try {
        report = JSON.parse(out);
      } catch {
        throw new Error(`kube-score printed no JSON report for ${s.source}: ${out.slice(0, 2000)}`);
      }
      for (const o of report) {
        const kind = o.type_meta.kind;
        const name = o.object_meta.name ?? '';
        const component = componentOf(lookup(s.manifests, kind, name)) ?? o.object_meta.labels?.['app.kubernetes.io/component'];
        for (const c of o.checks) {
          if (c.skipped || c.grade >= KUBE_SCORE_OK) continue;
          const comments: any[] = c.comments?.length ? c.comments : [{ summary: c.check.name }];
          for (const cm of comments) {
            findings.push({
              tool: 'kube-score', check: c.check.id, message: cm.summary, source: s.source,
              kind, name, namespace: o.object_meta.namespace, component, container: cm.path || undefined,
            });
          }
        }
      }
    }
    return findings;
  },
};

export const CHECKOV: Scanner = {
  name: 'checkov',
  version: '3.3.30',
  installScript: 'checkov.sh',
  scan(bin, sources) {
    const findings: Finding[] = [];
    // One run for all sources (checkov takes seconds to start); its checks look at one resource at a time, and each
    // result names its file. --skip-download: offline, no Prisma Cloud metadata.
    const out = run(bin, ['--framework', 'kubernetes', ...sources.flatMap((s) => ['--file', s.file]),
      '--output', 'json', '--quiet', '--skip-download'], [0, 1]);
    const parsed = out.trim() ? JSON.parse(out) : undefined;
    const reports: any[] = Array.isArray(parsed) ? parsed : parsed ? [parsed] : [];
    const report = reports.find((r) => r.check_type === 'kubernetes');
    if (!report) throw new Error(`checkov printed no kubernetes report: ${out.slice(0, 2000)}`);
    if (report.summary.parsing_errors > 0) throw new Error(`checkov could not parse: ${JSON.stringify(report.results.parsing_errors)}`);
    const byFile = new Map(sources.map((s) => [path.basename(s.file), s]));
    for (const f of report.results.failed_checks) {
      const s = byFile.get(path.basename(f.file_path));
      if (!s) throw new Error(`checkov reported on an unknown file ${f.file_path}`);
      // resource: `<Kind>.<namespace>.<name>`
      const [kind, namespace, ...rest] = String(f.resource).split('.');
      const name = rest.join('.');
      findings.push({
        tool: 'checkov', check: f.check_id, message: f.check_name, source: s.source, kind, name, namespace,
        component: componentOf(lookup(s.manifests, kind, name)),
      });
    }
    return findings;
  },
};

export const TRIVY: Scanner = {
  name: 'trivy',
  version: 'v0.74.0',
  installScript: 'trivy.sh',
  scan(bin, sources) {
    // trivy's Kubernetes checks look at one object at a time and locate a finding by file and line only, so each
    // object gets a file of its own (<scratch>/trivy/objects/<n>.yaml) and the file names the object. Sources share
    // many identical objects (ServiceAccounts, NetworkPolicies, ...): each distinct one is written and scanned once,
    // and its findings go to every source that holds it. One run covers every source: trivy spends ~25 ms per
    // object and seconds loading its checks.
    const scratch = path.join(path.dirname(sources[0].file), 'trivy');
    fs.rmSync(scratch, { recursive: true, force: true });
    fs.mkdirSync(path.join(scratch, 'objects'), { recursive: true });
    const byText = new Map<string, string>();
    const byTarget = new Map<string, Array<{ source: WrittenSource; manifest: Manifest }>>();
    for (const s of sources) {
      for (const m of s.manifests) {
        const text = stringify(m, { lineWidth: 0 });
        let target = byText.get(text);
        if (!target) {
          byText.set(text, target = `${String(byText.size).padStart(4, '0')}.yaml`);
          fs.writeFileSync(path.join(scratch, 'objects', target), text);
          byTarget.set(target, []);
        }
        byTarget.get(target)!.push({ source: s, manifest: m });
      }
    }
    // Offline: the checks embedded in the binary (--skip-check-update: no checks bundle from ghcr.io), no update
    // notice and no telemetry (both call check.trivy.dev); `trivy config` never loads a vulnerability DB. It runs in
    // the scratch folder with no TRIVY_* variables, so no trivy.yaml, .trivyignore or environment can skip checks:
    // scanner-exceptions.yaml stays the only place where a finding is accepted.
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('TRIVY_')));
    const out = run(bin, ['config', '--quiet', '--format', 'json', '--misconfig-scanners', 'kubernetes',
      '--skip-check-update', '--skip-version-check', '--disable-telemetry', '--cache-dir', path.join(scratch, 'cache'),
      'objects'], [0], { cwd: scratch, env: { ...env, TRIVY_CACHE_DIR: path.join(scratch, 'cache') } });
    let report: any;
    try {
      report = JSON.parse(out);
    } catch {
      throw new Error(`trivy printed no JSON report: ${out.slice(0, 2000)}`);
    }
    const findings: Finding[] = [];
    const seen = new Set<string>();
    for (const r of report.Results ?? []) {
      const objects = byTarget.get(r.Target);
      if (!objects) throw new Error(`trivy reported on an unknown file ${r.Target}`);
      seen.add(r.Target);
      for (const m of r.Misconfigurations ?? []) {
        if (m.Status !== 'FAIL') continue;
        for (const { source, manifest } of objects) {
          findings.push({
            tool: 'trivy', check: m.ID, message: m.Message, source: source.source, kind: manifest.kind,
            name: manifest.metadata?.name ?? '', namespace: manifest.metadata?.namespace, component: componentOf(manifest),
            // "Container 'x' of ...", 'container "x" of ...', "Container x in ..." (the checks word it differently)
            container: /^container ['"]?([^'" ]+)['"]? (?:of|in) /i.exec(m.Message)?.[1], severity: m.Severity,
          });
        }
      }
    }
    // Every object must have been read as Kubernetes (a file trivy does not recognise is silently skipped).
    const unread = [...byTarget.keys()].filter((t) => !seen.has(t));
    if (unread.length) throw new Error(`trivy did not scan ${unread.length} objects, e.g. ${unread.slice(0, 5).join(', ')}`);
    return findings;
  },
};

/**
 * The scanners the tests run. kube-linter and Polaris are wanted too but cannot be installed here: the Go module
 * proxy this project may use refuses both modules (golang.stackrox.io/kube-linter: host not allowed;
 * github.com/fairwindsops/polaris: "not available"). Adding one is one entry here and one script in .ci/tools.
 */
export const SCANNERS: Scanner[] = [KUBE_SCORE, CHECKOV, TRIVY];

const EXCEPTION_SCHEMA = {
  type: 'array',
  items: {
    type: 'object',
    additionalProperties: false,
    required: ['tool', 'check', 'where', 'reason'],
    properties: {
      tool: { type: 'string', enum: ['kube-score', 'checkov', 'trivy', 'kube-linter', 'polaris'] },
      check: { type: 'string', minLength: 1 },
      message: { type: 'string', minLength: 1 },
      where: {
        type: 'object',
        additionalProperties: false,
        minProperties: 1,
        properties: Object.fromEntries(['components', 'kinds', 'names', 'sources'].map((k) => [k, { type: 'array', minItems: 1, items: { type: 'string', minLength: 1 } }])),
      },
      reason: { type: 'string', minLength: 40 },
    },
  },
};

/** Reads and validates scanner-exceptions.yaml: every entry needs a selector (`where`) and a reason. */
export function loadExceptions(file: string = EXCEPTIONS_FILE): ScannerException[] {
  const data = parse(fs.readFileSync(file, 'utf8'));
  const validate = new Ajv({ allErrors: true }).compile(EXCEPTION_SCHEMA);
  if (!validate(data)) {
    throw new Error(`${path.relative(REPO_ROOT, file)} is malformed: ${validate.errors!.map((e) => `${e.instancePath} ${e.message}`).join('; ')}`);
  }
  return data as ScannerException[];
}

/** True when the exception accepts the finding. */
export function matches(e: ScannerException, f: Finding): boolean {
  const inList = (list: string[] | undefined, value: string | undefined) => list === undefined || (value !== undefined && list.includes(value));
  return e.tool === f.tool && e.check === f.check
    && (e.message === undefined || new RegExp(e.message).test(f.message))
    && inList(e.where.components, f.component) && inList(e.where.kinds, f.kind)
    && inList(e.where.names, f.name) && inList(e.where.sources, f.source);
}

/** Splits findings into those an exception accepts and those that fail the build. */
export function applyExceptions(findings: Finding[], exceptions: ScannerException[]): { accepted: Finding[]; rejected: Finding[]; used: Set<ScannerException> } {
  const accepted: Finding[] = [];
  const rejected: Finding[] = [];
  const used = new Set<ScannerException>();
  for (const f of findings) {
    const e = exceptions.find((x) => matches(x, f));
    if (e) {
      accepted.push(f);
      used.add(e);
    } else {
      rejected.push(f);
    }
  }
  return { accepted, rejected, used };
}

/** Annotations that would make a scanner skip checks from inside a manifest (we accept findings only in one file). */
export function suppressionAnnotations(manifests: Manifest[]): string[] {
  const out: string[] = [];
  for (const m of manifests) {
    for (const meta of [m.metadata, m.spec?.template?.metadata]) {
      for (const key of Object.keys(meta?.annotations ?? {})) {
        if (/^(checkov\.io\/skip|kube-score\/|ignore-check\.kube-linter\.io\/|polaris\.fairwinds\.com\/)/.test(key)) {
          out.push(`${m.kind}/${m.metadata?.name}: ${key}`);
        }
      }
    }
  }
  return out;
}

/** One line per finding, for failure messages and reports. */
export function describeFinding(f: Finding): string {
  return `${f.tool} ${f.check} on ${f.source} ${f.kind}/${f.name}${f.container ? ` (${f.container})` : ''}: ${f.message}`;
}
