/**
 * `npm run kubeconform -- ...` in this repository (package.json script -> bin/kubeconform -> test/validate/kubeconform-cli.ts):
 * it must run non-interactively (no stdin, CI=true), fail on bad input with a message naming the field, and never
 * call itself (the cause of the old `npx kubeconform` hang: see pathWithoutWrapper).
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { pathWithoutWrapper } from './kubeconform-cli';

const REPO_ROOT = path.resolve(__dirname, '..', '..');
const FIXTURES = path.join(__dirname, 'fixtures');

function npx(args: string[], env: NodeJS.ProcessEnv = {}) {
  return spawnSync('npm', ['run', '--silent', 'kubeconform', '--', ...args], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'], // no stdin: a prompt would fail rather than hang
    env: { ...process.env, CI: 'true', npm_config_update_notifier: 'false', ...env },
    timeout: 5 * 60_000, // first run may build kubeconform and the 1.34 schemas
  });
}

const BAD: Array<[string, RegExp]> = [
  ['deployment-misspelled-field.yaml', /additional propert(y|ies) 'replica' not allowed/],
  ['deployment-wrong-type.yaml', /\/spec\/replicas.*(got string|expected integer)/],
  ['pdb-removed-api.yaml', /could not find schema for PodDisruptionBudget/],
];

describe('npm run kubeconform', () => {
  test('fails on broken manifests with a message naming each problem', () => {
    // WHEN the repository's `kubeconform` bin validates broken manifests, without stdin
    const r = npx(['-summary', ...BAD.map(([file]) => path.join(FIXTURES, file))]);
    // THEN it ends (no hang), exits non-zero and names each field or API
    expect(r.error).toBeUndefined();
    expect(r.status).toBe(1);
    for (const [file, message] of BAD) {
      expect(r.stdout.split('\n').find((line) => line.includes(file))).toMatch(message);
    }
    expect(r.stdout).toMatch(/Valid: 0, Invalid: 2, Errors: 1, Skipped: 0/);
  }, 5 * 60_000);

  test('passes a valid manifest (the strict schemas of the newest pinned Kubernetes)', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kubeconform-npx-'));
    const ok = path.join(dir, 'configmap.yaml');
    fs.writeFileSync(ok, 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ok\ndata:\n  a: b\n');
    const r = npx(['-summary', ok]);
    fs.rmSync(dir, { recursive: true, force: true });
    expect(r.error).toBeUndefined();
    expect(r.stdout).toMatch(/Valid: 1, Invalid: 0, Errors: 0, Skipped: 0/);
    expect(r.status).toBe(0);
  }, 5 * 60_000);

  test('fails fast, without recursing, when kubeconform.sh would run the wrapper itself', () => {
    // GIVEN the wrapper is entered from kubeconform.sh (the guard variable is set)
    const r = spawnSync(process.execPath, [path.join(REPO_ROOT, 'bin', 'kubeconform'), '-v'], {
      encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, CDK8S_AIRFLOW_KUBECONFORM_WRAPPER: '1' }, timeout: 60_000,
    });
    // THEN it stops at once with the reason
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/a kubeconform on PATH is this wrapper/);
  }, 60_000);

  test('kubeconform.sh never sees a script named kubeconform on PATH (npm puts node_modules/.bin first)', () => {
    // GIVEN a PATH whose first folder holds a `kubeconform` script, as node_modules/.bin does under npx
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kubeconform-bin-'));
    fs.writeFileSync(path.join(dir, 'kubeconform'), '#!/usr/bin/env node\n', { mode: 0o755 });
    // WHEN the wrapper computes the PATH it gives kubeconform.sh
    const filtered = pathWithoutWrapper([dir, '/usr/bin'].join(path.delimiter));
    fs.rmSync(dir, { recursive: true, force: true });
    // THEN that folder is gone and the others stay
    expect(filtered).toBe('/usr/bin');
  });
});
