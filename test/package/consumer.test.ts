/**
 * The package as a platform team gets it (issue 15): `npm pack` of this repository installed into a fresh cdk8s app
 * that pins its own cdk8s, constructs and cdk8s-plus-27 exactly, then the README's quick start compiled with tsc
 * (strict, no skipLibCheck) and run as written. Installs from npm's local cache only (`npm ci --offline` with a
 * lockfile built from this repository's): the versions are the ones this repository's own `npm install` put there.
 */
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parseAllDocuments } from 'yaml';

const REPO = path.resolve(__dirname, '..', '..');
const version = (name: string): string => JSON.parse(fs.readFileSync(path.join(REPO, 'node_modules', name, 'package.json'), 'utf8')).version;
const PINS: Record<string, string> = {
  'cdk8s': version('cdk8s'),
  'constructs': version('constructs'),
  'cdk8s-plus-27': version('cdk8s-plus-27'),
  'typescript': version('typescript'),
};

/**
 * The app's package-lock.json: its exact pins and the packed tarball, each with the dependency closure this
 * repository's lockfile resolved (the same versions and integrity hashes), so `npm ci --offline` installs from npm's
 * cache without asking a registry anything, as a platform repository's CI installs from its lockfile.
 */
function consumerLock(tarball: string, library: { version: string; dependencies: Record<string, string>; peerDependencies: Record<string, string> }) {
  const repoLock = JSON.parse(fs.readFileSync(path.join(REPO, 'package-lock.json'), 'utf8')).packages as Record<string, any>;
  const packages: Record<string, any> = {
    '': { name: 'platform-app', version: '1.0.0', dependencies: { ...PINS, 'cdk8s-airflow': `file:${tarball}` } },
    'node_modules/cdk8s-airflow': { version: library.version, resolved: `file:${tarball}`, dependencies: library.dependencies, peerDependencies: library.peerDependencies },
  };
  const resolve = (from: string, name: string): string => {
    for (let at = from; ; at = at.slice(0, at.lastIndexOf('/node_modules/'))) {
      if (repoLock[`${at}/node_modules/${name}`]) return `${at}/node_modules/${name}`;
      if (!at.includes('/node_modules/')) break;
    }
    if (!repoLock[`node_modules/${name}`]) throw new Error(`${name} (needed by ${from || 'the app'}) is not in package-lock.json`);
    return `node_modules/${name}`;
  };
  const add = (key: string) => {
    if (packages[key]) return;
    const { dev, devOptional, peer, ...entry } = repoLock[key];
    packages[key] = entry;
    // Bundled packages come inside their parent's tarball; the lockfile lists them as nested entries.
    for (const nested of Object.keys(repoLock).filter((k) => k.startsWith(`${key}/node_modules/`))) add(nested);
    // Optional dependencies too (cdk8s-plus-27 declares one): npm ci wants every edge of the tree in the lockfile.
    for (const dep of Object.keys({ ...entry.dependencies, ...entry.optionalDependencies })) add(resolve(key, dep));
  };
  for (const name of [...Object.keys(PINS), ...Object.keys(library.dependencies)]) add(`node_modules/${name}`);
  return { name: 'platform-app', version: '1.0.0', lockfileVersion: 3, requires: true, packages };
}

function run(cmd: string, args: string[], cwd: string): string {
  const r = spawnSync(cmd, args, {
    cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, CI: 'true', npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false' },
  });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed in ${cwd}:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

/** The first ```ts block under "## Quick start" in README.md, as written. */
function quickStart(): string {
  const readme = fs.readFileSync(path.join(REPO, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Quick start'));
  const m = /```ts\n([\s\S]*?)```/.exec(section);
  if (!m) throw new Error('README.md has no ```ts block under "## Quick start"');
  return m[1];
}

describe('the packed library in a fresh cdk8s app', () => {
  let app: string;
  let tarball: string;
  let files: string[];

  beforeAll(() => {
    app = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk8s-airflow-consumer-'));
    run('npm', ['run', '--silent', 'compile'], REPO);
    const packed = JSON.parse(run('npm', ['pack', '--json', '--pack-destination', app], REPO));
    tarball = path.join(app, packed[0].filename);
    files = packed[0].files.map((f: { path: string }) => f.path);
    const library = JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8'));
    const name = path.basename(tarball);
    fs.writeFileSync(path.join(app, 'package.json'), JSON.stringify({
      name: 'platform-app', version: '1.0.0', private: true, dependencies: { ...PINS, 'cdk8s-airflow': `file:${name}` },
    }, null, 2));
    fs.writeFileSync(path.join(app, 'package-lock.json'), JSON.stringify(consumerLock(name, library), null, 2));
    run('npm', ['ci', '--offline'], app);
  }, 300_000);

  afterAll(() => {
    if (app) fs.rmSync(app, { recursive: true, force: true });
  });

  test('the tarball holds the library only: no repository tools, chart emitter, examples or tests', () => {
    console.log(`package: ${path.basename(tarball)}, ${files.length} files, ${fs.statSync(tarball).size} bytes`);
    expect(files).toEqual(expect.arrayContaining(['package.json', 'README.md', 'LICENSE', 'lib/src/index.js', 'lib/src/index.d.ts']));
    expect(files.filter((f) => /^(bin|src|test|examples|charts|\.ci)\/|^lib\/src\/(main\.|helm\/|values\/)|^lib\/(test|examples)\//.test(f))).toEqual([]);
    const manifest = JSON.parse(fs.readFileSync(path.join(app, 'node_modules', 'cdk8s-airflow', 'package.json'), 'utf8'));
    expect(manifest.bin).toBeUndefined();
    expect(Object.keys(manifest.peerDependencies).sort()).toEqual(['cdk8s', 'cdk8s-plus-27', 'constructs']);
    expect(Object.keys(manifest.dependencies)).toEqual(['yaml']);
  });

  test('cdk8s, constructs and cdk8s-plus-27 are the app\'s own copies: one of each, at its pinned version', () => {
    for (const [name, v] of Object.entries(PINS).filter(([n]) => n !== 'typescript')) {
      const tree = JSON.parse(run('npm', ['ls', name, '--all', '--json'], app));
      const versions = new Set<string>();
      const walk = (deps: Record<string, any> | undefined) => {
        for (const [n, d] of Object.entries(deps ?? {})) {
          if (n === name) versions.add(d.version);
          walk(d.dependencies);
        }
      };
      walk(tree.dependencies);
      expect({ name, versions: [...versions] }).toEqual({ name, versions: [v] });
      expect(fs.existsSync(path.join(app, 'node_modules', 'cdk8s-airflow', 'node_modules', name))).toBe(false);
    }
  });

  test('the README quick start compiles (strict) and synthesizes as written', () => {
    fs.writeFileSync(path.join(app, 'main.ts'), quickStart());
    fs.writeFileSync(path.join(app, 'tsconfig.json'), JSON.stringify({
      compilerOptions: { target: 'ES2022', module: 'commonjs', strict: true, skipLibCheck: false, esModuleInterop: true, outDir: 'out', types: [] },
      files: ['main.ts'],
    }, null, 2));
    run(path.join(app, 'node_modules', '.bin', 'tsc'), ['-p', 'tsconfig.json'], app);
    run('node', ['out/main.js'], app);
    const written = fs.readdirSync(path.join(app, 'dist')).filter((f) => f.endsWith('.yaml'));
    expect(written.length).toBe(1);
    const docs = parseAllDocuments(fs.readFileSync(path.join(app, 'dist', written[0]), 'utf8'), { uniqueKeys: true });
    for (const d of docs) expect(d.errors).toEqual([]);
    const objects = docs.map((d) => d.toJS());
    const names = objects.map((o) => `${o.kind}/${o.metadata.name}`);
    console.log(`quick start: ${objects.length} objects`);
    expect(names).toEqual(expect.arrayContaining(['Deployment/airflow-api-server', 'Deployment/airflow-scheduler', 'Ingress/airflow-api-server']));
    expect(objects.every((o) => o.metadata.namespace === 'airflow' || o.kind === 'Namespace')).toBe(true);
  });

  test('only the public API is exported: no internals become semver contract', () => {
    const script = 'const m = require("cdk8s-airflow"); console.log(JSON.stringify(Object.keys(m).sort()))';
    const names: string[] = JSON.parse(execFileSync('node', ['-e', script], { cwd: app, encoding: 'utf8' }));
    console.log(`runtime exports: ${names.length}`);
    expect(names).toEqual(expect.arrayContaining(['AirflowChart', 'AirflowAuth', 'Cornflow', 'ContainerImage', 'SecretKeyRef']));
    for (const internal of ['sha256', 'sortedJson', 'SECRET_GENERATOR_SCRIPT', 'validateConfig', 'renderAirflowCfg', 'AirflowRelease', 'securePodSpec', 'Expr']) {
      expect(names).not.toContain(internal);
    }
    // The components are exported (jsii needs their classes, e.g. for Scheduler.PORT-style constants) but cannot be
    // built on their own: their declared constructors are private, and the factory the chart uses is stripped.
    const declarations = fs.readFileSync(path.join(app, 'node_modules/cdk8s-airflow/lib/src/components/scheduler.d.ts'), 'utf8');
    expect(names).toContain('Scheduler');
    expect(declarations).toMatch(/private constructor/);
    expect(declarations).not.toMatch(/_create/);
    const deep = spawnSync('node', ['-e', 'require("cdk8s-airflow/lib/src/components/jobs")'], { cwd: app, encoding: 'utf8' });
    expect(deep.stderr).toMatch(/ERR_PACKAGE_PATH_NOT_EXPORTED/);
  });
});
