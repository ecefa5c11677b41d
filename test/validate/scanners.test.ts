/**
 * Real security scanners (kube-score, checkov, trivy's misconfiguration checks; pinned, installed once by
 * .ci/tools/*.sh) on every manifest source (test/validate/manifest-sources.ts: every example and variant, the chart
 * rendered by helm, plus the KubernetesExecutor task pod), at each tool's default checks: zero findings beyond
 * test/validate/scanner-exceptions.yaml. A fixture with known bad settings goes through the same wrapper and must be
 * reported, so a scanner that silently checks nothing fails the test.
 *
 * First run: installs the tools (Go for kube-score and trivy, Python for checkov; about 5 minutes, trivy's build being
 * the longest); later runs take seconds.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parseAllDocuments } from 'yaml';
import { ManifestSource, MANIFEST_SOURCES } from './manifest-sources';
import {
  applyExceptions, describeFinding, Finding, installToolAsync, loadExceptions, Scanner, SCANNERS, ScannerException,
  suppressionAnnotations, WrittenSource, writeSources,
} from './scanners';
import { Manifest } from '../util';

/**
 * Sources a tool cannot read today because of a known defect in our output, by `<tool> <source>`. Such a test is
 * declared `test.failing`: it passes while the defect is there and fails once it is fixed, so the entry gets removed.
 */
const KNOWN_DEFECTS: Record<string, string> = {};

const BAD_FIXTURE = path.join(__dirname, 'fixtures', 'scanner-bad-deployment.yaml');
const BAD_SOURCE: ManifestSource = {
  name: 'fixture:bad',
  manifests: () => parseAllDocuments(fs.readFileSync(BAD_FIXTURE, 'utf8')).map((d) => d.toJS() as Manifest),
};
/** Checks each tool must report on the bad fixture (a subset of what they find), none of them excepted. */
const MUST_REPORT: Record<string, Array<{ check: string; message?: RegExp }>> = {
  'kube-score': [
    { check: 'container-security-context-privileged' },
    { check: 'container-image-tag' },
    { check: 'container-security-context-user-group-id', message: /low user ID/ },
    { check: 'container-resources', message: /Memory limit is not set/ },
  ],
  'checkov': [
    { check: 'CKV_K8S_16' }, // privileged
    { check: 'CKV_K8S_14' }, // image tag latest
    { check: 'CKV_K8S_19' }, // hostNetwork
    { check: 'CKV_K8S_20' }, // allowPrivilegeEscalation
  ],
  'trivy': [
    { check: 'KSV-0017' }, // privileged
    { check: 'KSV-0013' }, // image tag latest
    { check: 'KSV-0009' }, // hostNetwork
    { check: 'KSV-0023' }, // hostPath volume
    { check: 'KSV-0001' }, // allowPrivilegeEscalation
  ],
};

const exceptions: ScannerException[] = loadExceptions();
const bins = new Map<string, string>();
let written: WrittenSource[];
let writtenBad: WrittenSource[];
let dir: string | undefined;
afterAll(() => {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});
const results = new Map<string, Finding[] | Error>(); // by `<tool> <source>`
const used = new Set<ScannerException>();

/** Scans sources with one tool; a tool error is recorded for the sources it concerns. */
function scanAll(scanner: Scanner, sources: WrittenSource[]): void {
  // kube-score runs per source anyway; checkov and trivy run once for all (slow start). Either way, keep errors per source.
  const groups = scanner.name === 'kube-score' ? sources.map((s) => [s]) : [sources];
  for (const group of groups) {
    try {
      const found = scanner.scan(bins.get(scanner.name)!, group);
      for (const s of group) results.set(`${scanner.name} ${s.source}`, found.filter((f) => f.source === s.source));
    } catch (e) {
      for (const s of group) results.set(`${scanner.name} ${s.source}`, e as Error);
    }
  }
}

function resultOf(tool: string, source: string): Finding[] {
  const r = results.get(`${tool} ${source}`);
  if (r instanceof Error) throw r;
  if (!r) throw new Error(`no ${tool} result for ${source}`);
  return r;
}

describe('security scanners at their default checks: zero findings beyond scanner-exceptions.yaml', () => {
  beforeAll(async () => {
    // GIVEN the pinned tools (installed once, cached; in parallel) and every manifest source written to a scratch folder
    const paths = await Promise.all(SCANNERS.map(installToolAsync));
    SCANNERS.forEach((s, i) => bins.set(s.name, paths[i]));
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk8s-airflow-scan-'));
    written = writeSources(path.join(dir, 'sources'), MANIFEST_SOURCES);
    writtenBad = writeSources(path.join(dir, 'fixtures'), [BAD_SOURCE]);
    // WHEN every scanner scans every source, and separately the bad fixture
    for (const s of SCANNERS) scanAll(s, [...written, ...writtenBad]);
  }, 20 * 60_000); // first run, in parallel: go install kube-score (~1.5-3 min) and trivy (~5-10 min), pip install checkov (~1 min)

  test('scans a meaningful set of sources and objects', () => {
    expect(written.map((w) => w.source)).toEqual(expect.arrayContaining(['example:default', 'example:minimal', 'example:production']));
    // The KubernetesExecutor task pod template is scanned as a Pod of its own.
    expect(written.flatMap((w) => w.manifests).filter((m) => m.kind === 'Pod').length).toBeGreaterThan(0);
  });

  test('no manifest suppresses a check from inside (annotations): exceptions live in one file only', () => {
    expect(written.flatMap((w) => suppressionAnnotations(w.manifests))).toEqual([]);
  });

  describe.each(SCANNERS.map((s) => [s.name, s] as const))('%s', (tool) => {
    const cases = MANIFEST_SOURCES.map((s) => s.name);
    for (const source of cases) {
      const defect = KNOWN_DEFECTS[`${tool} ${source}`];
      const title = `${source}: no finding beyond the exceptions${defect ? ` (known defect: ${defect})` : ''}`;
      (defect ? test.failing : test)(title, () => {
        // THEN every finding is accepted by an entry of scanner-exceptions.yaml
        const { rejected, used: u } = applyExceptions(resultOf(tool, source), exceptions);
        u.forEach((e) => used.add(e));
        expect(rejected.map(describeFinding)).toEqual([]);
      });
    }

    test('reports the known bad settings of the fixture, and no exception hides them', () => {
      // GIVEN a Deployment with privileged, root, hostNetwork, hostPath and a latest tag, dressed as our api-server
      // WHEN it goes through the same scan and exception filter as our output
      const { rejected } = applyExceptions(resultOf(tool, BAD_SOURCE.name), exceptions);
      // THEN the tool reports each bad setting and the build would fail
      expect(rejected.length).toBeGreaterThan(0);
      for (const want of MUST_REPORT[tool]) {
        expect(rejected.map(describeFinding)).toContainEqual(
          expect.stringMatching(new RegExp(`^${tool} ${want.check} .*${want.message?.source ?? ''}`)));
      }
    });
  });

  test('every exception still matches a finding (no stale entries)', () => {
    // Runs after the per-source tests (jest runs a file's tests in order); recomputes to be independent of them.
    for (const [key, r] of results) {
      if (r instanceof Error || key.endsWith(` ${BAD_SOURCE.name}`)) continue;
      applyExceptions(r, exceptions).used.forEach((e) => used.add(e));
    }
    const stale = exceptions.filter((e) => !used.has(e)).map((e) => `${e.tool} ${e.check} ${JSON.stringify(e.where)}`);
    expect(stale).toEqual([]);
  });
});
