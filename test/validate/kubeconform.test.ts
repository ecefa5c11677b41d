/**
 * Offline, strict kubeconform validation of the synthesized manifests
 * (`dist/*.k8s.yaml`, from `npm run synth`) against every pinned Kubernetes
 * minor 1.27 .. 1.34, plus proof that the validator really rejects bad input.
 *
 * Needs Go (to build kubeconform and fetch the OpenAPI spec through the Go
 * module proxy on first use). Everything is cached under
 * ${CDK8S_AIRFLOW_CACHE:-~/.cache/cdk8s-airflow}; a cached run takes seconds.
 */
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import * as os from 'os';
import { parseAllDocuments } from 'yaml';
import { chartRenderValues } from './chart-renders';
import { ensureSchemas, PINNED_K8S_VERSIONS, schemaLocationTemplate } from './generate-schemas';
import { kubeconformBinary } from './kubeconform-cli';
import { helmTemplateText } from '../helm/helm';

const REPO_ROOT = path.resolve(__dirname, '..', '..');
const DIST = path.join(REPO_ROOT, 'dist');
const FIXTURES = path.join(__dirname, 'fixtures');

interface KubeconformResult {
  status: number | null;
  stdout: string;
  stderr: string;
  report: {
    resources?: Array<{ filename: string; kind: string; name: string; version: string; status: string; msg: string;
      validationErrors?: Array<{ path: string; msg: string }> }>;
    summary: { valid: number; invalid: number; errors: number; skipped: number };
  };
}

let bin: string;

function distFiles(): string[] {
  return fs.existsSync(DIST)
    ? fs.readdirSync(DIST).filter((f) => f.endsWith('.k8s.yaml')).sort().map((f) => path.join(DIST, f))
    : [];
}

function kubeconform(version: string, files: string[]): KubeconformResult {
  // -ignore-missing-schemas deliberately NOT set: unknown/removed APIs must fail.
  const r = spawnSync(bin, [
    '-strict', '-summary', '-output', 'json',
    '-kubernetes-version', version,
    '-schema-location', schemaLocationTemplate(),
    ...files,
  ], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.error) throw r.error;
  let report: KubeconformResult['report'];
  try {
    report = JSON.parse(r.stdout);
  } catch {
    throw new Error(`kubeconform printed no JSON (exit ${r.status}): ${r.stdout}\n${r.stderr}`);
  }
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, report };
}

function countResources(files: string[]): number {
  let n = 0;
  for (const f of files) {
    for (const doc of parseAllDocuments(fs.readFileSync(f, 'utf8'))) {
      if (doc.toJS() != null) n++;
    }
  }
  return n;
}

const BAD_FIXTURES: Array<{ file: string; what: string; status: string; expect: RegExp }> = [
  { file: 'deployment-misspelled-field.yaml', what: 'misspelled field spec.replica', status: 'statusInvalid', expect: /additional propert(y|ies) 'replica' not allowed/ },
  { file: 'deployment-wrong-type.yaml', what: 'wrong type for spec.replicas', status: 'statusInvalid', expect: /\/spec\/replicas.*(got string|expected integer)/ },
  { file: 'pdb-removed-api.yaml', what: 'removed API policy/v1beta1 PodDisruptionBudget', status: 'statusError', expect: /could not find schema for PodDisruptionBudget/ },
];

describe('kubeconform strict validation, offline, Kubernetes 1.27..1.34', () => {
  beforeAll(() => {
    // GIVEN the pinned kubeconform (built once with Go) and generated schemas (cached)
    bin = kubeconformBinary(REPO_ROOT);
    ensureSchemas(PINNED_K8S_VERSIONS);
    // AND synthesized manifests (synth only when dist/ is empty)
    if (distFiles().length === 0) {
      execFileSync('npm', ['run', 'synth', '--silent'], { cwd: REPO_ROOT, stdio: 'inherit' });
    }
  }, 10 * 60_000); // first run: go install (~80 s cold) + 8 spec downloads/conversions (~35 s)

  // AND the chart as helm renders it, one file per render
  let renders: string[] = [];
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kubeconform-helm-'));
    // helm's own bytes, not YAML parsed and written again
    renders = Object.entries(chartRenderValues()).map(([name, values]) => {
      const file = path.join(dir, `${name.replace(/[^a-z0-9-]+/g, '_')}.yaml`);
      fs.writeFileSync(file, helmTemplateText({ values }));
      return file;
    });
    k8sObjectsRender = path.join(dir, 'k8s-objects.yaml');
    fs.writeFileSync(k8sObjectsRender, helmTemplateText({ files: ['test/helm/good-values-k8s-objects.yaml'] }));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  // AND the chart with Kubernetes objects of every kind in values: what the values schema accepts (checked against the
  // Kubernetes 1.27 definitions) must be valid on every supported version
  let k8sObjectsRender: string;

  describe.each(PINNED_K8S_VERSIONS.map((v) => [v]))('Kubernetes %s', (version) => {
    test('the Helm chart rendered by helm (defaults, every optional component on) is valid: 0 errors, 0 invalid, 0 skipped', () => {
      expect(renders.length).toBe(2);
      const r = kubeconform(version, renders);
      expect(r.report.resources ?? []).toEqual([]);
      expect(r.report.summary).toEqual({ valid: countResources(renders), invalid: 0, errors: 0, skipped: 0 });
      expect(countResources(renders)).toBeGreaterThan(60);
      expect(r.status).toBe(0);
    });

    test('the Helm chart with Kubernetes objects of every kind in values (test/helm/good-values-k8s-objects.yaml) is valid', () => {
      const r = kubeconform(version, [k8sObjectsRender]);
      expect(r.report.resources ?? []).toEqual([]);
      expect(r.report.summary).toEqual({ valid: countResources([k8sObjectsRender]), invalid: 0, errors: 0, skipped: 0 });
      expect(r.status).toBe(0);
    });

    test('every synthesized manifest is valid: 0 errors, 0 invalid, 0 skipped', () => {
      // GIVEN every dist/*.k8s.yaml
      const files = distFiles();
      expect(files.length).toBeGreaterThan(0);
      const expected = countResources(files);

      // WHEN kubeconform validates them strictly against this version
      const r = kubeconform(version, files);

      // THEN nothing failed or was skipped, and every resource was validated
      expect(r.report.resources ?? []).toEqual([]);
      expect(r.report.summary).toEqual({ valid: expected, invalid: 0, errors: 0, skipped: 0 });
      expect(r.status).toBe(0);
    });

    test.each(BAD_FIXTURES)('rejects a manifest with a $what', ({ file, status, expect: pattern }) => {
      // GIVEN a manifest that is broken on purpose
      const fixture = path.join(FIXTURES, file);

      // WHEN kubeconform validates it strictly
      const r = kubeconform(version, [fixture]);

      // THEN it exits non-zero, reports the resource as failed (never skipped)
      expect(r.status).not.toBe(0);
      expect(r.report.summary.skipped).toBe(0);
      expect(r.report.summary.valid).toBe(0);
      expect(r.report.summary.invalid + r.report.summary.errors).toBe(1);
      // AND the message names the offending field / API
      const [res] = r.report.resources ?? [];
      expect(res.status).toBe(status);
      expect(res.msg).toMatch(pattern);
    });
  });
});
