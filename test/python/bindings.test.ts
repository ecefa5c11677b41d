/**
 * The Python package (issue 15): src/ compiled by jsii into an assembly, jsii-pacmak's wheel installed into a venv
 * next to the PyPI releases of the cdk8s, cdk8s-plus-27 and constructs versions this repository builds against, then
 * the examples and one more chart written in Python (examples.py) synthesized and compared byte for byte with what the
 * TypeScript constructs write for the same charts (scenarios.ts). Refused inputs must raise in Python with the
 * TypeScript message. API.md must be the reference generated from this assembly.
 *
 * Builds with .ci/tools/jsii-package.sh (pinned jsii, jsii-pacmak, jsii-docgen on Node 22, cached); the venv is cached
 * per set of versions under $CDK8S_AIRFLOW_CACHE/python-bindings.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App } from 'cdk8s';
import { parseAllDocuments } from 'yaml';
import { REFUSALS, SCENARIOS } from './scenarios';

const REPO = path.resolve(__dirname, '..', '..');
const CACHE = process.env.CDK8S_AIRFLOW_CACHE ?? path.join(os.homedir(), '.cache', 'cdk8s-airflow');
const version = (name: string): string => JSON.parse(fs.readFileSync(path.join(REPO, 'node_modules', name, 'package.json'), 'utf8')).version;

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): string {
  const r = spawnSync(cmd, args, { cwd: REPO, encoding: 'utf8', env, maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

interface Assembly {
  types: Record<string, {
    kind: string;
    docs?: { summary?: string };
    properties?: { name: string; docs?: { summary?: string } }[];
    methods?: { name: string; docs?: { summary?: string } }[];
    members?: { name: string; docs?: { summary?: string } }[];
  }>;
}

let stage: string;
let python: string;
let env: NodeJS.ProcessEnv;

beforeAll(() => {
  stage = run('bash', ['.ci/tools/jsii-package.sh']).trim().split('\n').pop()!;
  // The jsii runtime starts `node` from PATH: the Node 22 the package was built with.
  const node22 = run('bash', ['.ci/tools/node22.sh']).trim();
  env = { ...process.env, PATH: `${node22}:${process.env.PATH}` };
  const wheels = fs.readdirSync(path.join(stage, 'dist', 'python')).filter((f) => f.endsWith('.whl'));
  expect(wheels).toHaveLength(1);
  // The runtime and the cdk8s packages this repository's package-lock.json resolved, from PyPI.
  const jsiiRuntime = JSON.parse(fs.readFileSync(path.join(stage, '.jsii'), 'utf8')).jsiiVersion.split(' ')[0];
  const pins = [`jsii==${pacmakVersion()}`, `cdk8s==${version('cdk8s')}`, `cdk8s-plus-27==${version('cdk8s-plus-27')}`, `constructs==${version('constructs')}`];
  const venv = path.join(CACHE, 'python-bindings', pins.join('_').replace(/[^A-Za-z0-9_.=-]/g, ''));
  python = path.join(venv, 'bin', 'python');
  if (!fs.existsSync(path.join(venv, '.complete'))) {
    fs.rmSync(venv, { recursive: true, force: true });
    run('python3', ['-m', 'venv', venv]);
    run(python, ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', ...pins]);
    fs.writeFileSync(path.join(venv, '.complete'), pins.join('\n'));
  }
  run(python, ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', '--no-deps', '--force-reinstall', path.join(stage, 'dist', 'python', wheels[0])]);
  console.log(`jsii compiler ${jsiiRuntime}; ${wheels[0]} in ${venv}`);
}, 900_000);

/** jsii-pacmak's version, which names the jsii runtime the generated code needs. */
function pacmakVersion(): string {
  return /pacmak_version=(\S+)/.exec(fs.readFileSync(path.join(REPO, '.ci/tools/jsii-package.sh'), 'utf8'))![1];
}

describe('the jsii assembly', () => {
  test('every type and every member has a doc comment', () => {
    const assembly: Assembly = JSON.parse(fs.readFileSync(path.join(stage, '.jsii'), 'utf8'));
    const types = Object.entries(assembly.types);
    const missing: string[] = [];
    let members = 0;
    for (const [fqn, t] of types) {
      if (!t.docs?.summary) missing.push(fqn);
      for (const m of [...t.properties ?? [], ...t.methods ?? [], ...t.members ?? []]) {
        members++;
        if (!m.docs?.summary) missing.push(`${fqn}.${m.name}`);
      }
    }
    const kinds = types.reduce<Record<string, number>>((a, [, t]) => ({ ...a, [t.kind]: (a[t.kind] ?? 0) + 1 }), {});
    console.log(`assembly: ${types.length} types (${Object.entries(kinds).map(([k, n]) => `${n} ${k}`).join(', ')}), ${members} members`);
    expect(types.length).toBeGreaterThan(70);
    expect(missing).toEqual([]);
  });

  test.each(['API.md', 'API.python.md'])('%s is the reference generated from it (npm run api)', (file) => {
    expect(fs.readFileSync(path.join(REPO, file), 'utf8')).toBe(fs.readFileSync(path.join(stage, file), 'utf8'));
  });
});

describe('the Python package', () => {
  test('Python writes the same manifests as TypeScript, byte for byte, for every example and the bindings chart', () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk8s-airflow-python-'));
    try {
      run(python, [path.join(REPO, 'test/python/examples.py'), path.join(root, 'python')], env);
      const summary: string[] = [];
      for (const [name, build] of Object.entries(SCENARIOS)) {
        const app = new App({ outdir: path.join(root, 'typescript', name) });
        build(app);
        app.synth();
        const files = fs.readdirSync(path.join(root, 'typescript', name));
        expect(fs.readdirSync(path.join(root, 'python', name))).toEqual(files);
        for (const f of files) {
          const ts = fs.readFileSync(path.join(root, 'typescript', name, f), 'utf8');
          const py = fs.readFileSync(path.join(root, 'python', name, f), 'utf8');
          expect({ name, file: f, manifest: py }).toEqual({ name, file: f, manifest: ts });
          summary.push(`${name}: ${parseAllDocuments(ts).length} objects`);
        }
      }
      console.log(`identical in both languages: ${summary.join('; ')}`);
      // What only the bindings chart passes through the bindings: the extra network edge and the typed sidecar.
      const bindings = fs.readFileSync(path.join(root, 'python', 'bindings', 'airflow-bindings.k8s.yaml'), 'utf8');
      expect(bindings).toContain('cidr: 10.60.0.0/16');
      expect(bindings).toContain('port: 5439');
      expect(bindings).toContain('image: registry.example.com/log-shipper:1.4.2');
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });

  test("the README's Python example runs as written", () => {
    const readme = fs.readFileSync(path.join(REPO, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('\n## Python\n'));
    const code = /```python\n([\s\S]*?)```/.exec(section)![1];
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk8s-airflow-readme-'));
    try {
      fs.writeFileSync(path.join(dir, 'main.py'), code);
      const r = spawnSync(python, ['main.py'], { cwd: dir, encoding: 'utf8', env });
      expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: '' });
      const objects = parseAllDocuments(fs.readFileSync(path.join(dir, 'dist', 'airflow.k8s.yaml'), 'utf8')).map((d) => d.toJS());
      const ingress = objects.find((o) => o.kind === 'Ingress');
      expect(ingress.spec.rules[0].host).toBe('airflow.example.com');
      expect(ingress.metadata.annotations['cert-manager.io/cluster-issuer']).toBe('letsencrypt-prod');
      console.log(`README Python example: ${objects.length} objects`);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('refused inputs raise in Python with the TypeScript message', () => {
    const python_: Record<string, string | null> = JSON.parse(run(python, [path.join(REPO, 'test/python/examples.py'), '--errors'], env));
    const typescript: Record<string, string> = {};
    for (const [name, attempt] of Object.entries(REFUSALS)) {
      try {
        attempt(new App());
        typescript[name] = 'no error';
      } catch (e) {
        typescript[name] = (e as Error).message;
      }
    }
    expect(Object.keys(python_).sort()).toEqual(Object.keys(typescript).sort());
    for (const [name, message] of Object.entries(typescript)) {
      expect({ name, python: python_[name]?.includes(message) ? message : python_[name] }).toEqual({ name, python: message });
    }
    console.log(`refusals raised in Python with the TypeScript message: ${Object.keys(typescript).length}`);
  });
});
