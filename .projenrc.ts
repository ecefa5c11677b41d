import { javascript, typescript } from 'projen';

/**
 * Source of truth for package.json, tsconfig*.json and the jest configuration.
 * Run `npx projen` after editing; the generated files are committed.
 */
const project = new typescript.TypeScriptProject({
  name: 'cdk8s-airflow',
  description: 'CDK8s constructs that deploy Apache Airflow 3 on Kubernetes secure by default, and emit a Helm chart from the same code.',
  license: 'Apache-2.0',
  copyrightOwner: 'The cdk8s-airflow authors',
  authorName: 'The cdk8s-airflow authors',
  authorOrganization: true,
  defaultReleaseBranch: 'main',
  projenrcTs: true,
  // bin/kubeconform is a repository tool (npm run kubeconform), not a command of the package.
  autoDetectBin: false,
  packageManager: javascript.NodePackageManager.NPM,
  minNodeVersion: '20.0.0',
  typescriptVersion: '5.9.3',

  // No hosted CI, release or bots: CI is `.ci/run`.
  github: false,
  release: false,
  buildWorkflow: false,
  depsUpgrade: false,
  pullRequestTemplate: false,
  eslint: false,
  prettier: false,
  sampleCode: false,
  vscode: false,

  srcdir: 'src',
  testdir: 'test',
  libdir: 'lib',
  entrypoint: 'lib/src/index.js',
  entrypointTypes: 'lib/src/index.d.ts',
  tsconfig: {
    include: ['examples/**/*.ts'],
    compilerOptions: {
      rootDir: '.',
      // Lets ts-jest transpile each file alone (fast); `tsc --noEmit` in `npm test` still type-checks everything.
      isolatedModules: true,
      lib: ['es2022'],
      target: 'ES2022',
      skipLibCheck: true,
    },
  },

  keywords: ['cdk8s', 'kubernetes', 'airflow', 'apache-airflow', 'helm', 'constructs', 'pod-security', 'networkpolicy', 'cornflow'],
  // A construct library: the app's own cdk8s, constructs and cdk8s-plus-27 must be the ones these constructs use (a
  // second, nested copy breaks `new AirflowChart(app, ...)`), so they are peers; the same ranges are dev dependencies
  // here so that this repository builds and tests against what its users get.
  deps: ['yaml@^2.9.0'],
  peerDeps: ['cdk8s@^2.70.0', 'cdk8s-plus-27@^2.9.5', 'constructs@^10.4.0'],
  peerDependencyOptions: { pinnedDevDependency: false },
  devDeps: ['cdk8s@^2.70.0', 'cdk8s-plus-27@^2.9.5', 'constructs@^10.4.0', 'ajv@^8.17.0',
    'cdk8s-cli@^2.207.0', '@kubernetes/client-node@^1.4.0', 'ts-node@^10.9.2'],

  jest: true,
  jestOptions: {
    jestVersion: '^30',
    updateSnapshot: javascript.UpdateSnapshot.NEVER,
    passWithNoTests: false,
    jestConfig: {
      testMatch: ['<rootDir>/test/**/*.test.ts'],
      // The slower tiers have their own tasks: `npm run test:integration` (real Airflow, PostgreSQL, slapd),
      // `npm run test:cluster` (a real control plane, test/cluster/jest.config.json) and `npm run test:e2e` (the
      // rendered chart run as sandboxed processes, test/e2e/jest.config.json), `npm run test:package` and
      // `npm run test:artifact` (the signed chart through an OCI registry, test/artifact/jest.config.json).
      testPathIgnorePatterns: ['/node_modules/', '/lib/', '/dist/', '/test/cluster/', '/test/integration/', '/test/e2e/', '/test/package/', '/test/artifact/', '/test/python/'],
      // dist/jsii (the jsii build, `npm run test:python`) holds a copy of package.json.
      modulePathIgnorePatterns: ['<rootDir>/dist/'],
      collectCoverage: false,
      maxWorkers: 2,
    },
  },
});

// Compiled JS synthesizes ~3x faster than ts-node; cdk8s.yaml runs lib/src/main.js.
project.addTask('synth', {
  description: 'Synthesize every example into dist/ (plain Kubernetes manifests)',
  env: { CDK8S_CHECK_UPGRADE: 'false' },
  steps: [{ spawn: 'compile' }, { exec: 'cdk8s synth --output dist' }],
});

// `npm test`: type-check everything (library, examples, tests), then run jest once, never updating snapshots.
project.testTask.reset();
project.testTask.exec('tsc --noEmit -p test/tsconfig.json');
project.testTask.exec('jest --ci', { receiveArgs: true });
// `npm run test:update` (projen's) updates snapshots on purpose.

// `npm run validate`: the validation suite alone (npm test runs it too, since it is part of jest's testMatch):
// kubeconform strict and offline against Kubernetes 1.27-1.34 (test/validate/kubeconform*.test.ts), the security
// scanners kube-score, checkov and trivy (misconfiguration checks) with zero findings beyond test/validate/scanner-exceptions.yaml
// (test/validate/scanners.test.ts), and our Pod Security Standards "restricted" check (test/security/pss.test.ts).
// Tools are pinned and installed once by .ci/tools/*.sh into ${CDK8S_AIRFLOW_CACHE:-~/.cache/cdk8s-airflow}.
project.addTask('validate', {
  description: 'Validate every manifest: kubeconform (strict, offline, Kubernetes 1.27-1.34), kube-score, checkov, trivy, Pod Security Standards restricted',
  env: { CDK8S_CHECK_UPGRADE: 'false' },
  steps: [{ spawn: 'synth' }, { exec: 'jest --ci test/validate test/security/pss' }],
});

// `npm run test:integration`: real software on loopback, started and stopped by the tests: Airflow 3.3.2 (pip, in a
// cached virtualenv) against PostgreSQL and OpenLDAP (Debian packages): LDAP and database logins, role sync, a
// metadata-database password full of URL syntax. Not part of `npm test`.
project.addTask('test:integration', {
  description: 'Run Airflow against real PostgreSQL and OpenLDAP on loopback (logins, role sync, database password)',
  env: { CDK8S_CHECK_UPGRADE: 'false' },
  steps: [{ exec: 'jest --ci --config test/integration/jest.config.json', receiveArgs: true }],
});

// `npm run test:cluster` (issue 13, tier 1): a real Kubernetes control plane (etcd from Debian, kube-apiserver and
// kube-controller-manager built from the pinned k8s.io/kubernetes module by .ci/tools/kube.sh, cached like the other
// tools) on loopback, started once for the run by test/cluster/global-setup.ts. helm install / upgrade / test /
// uninstall and kubectl apply under Pod Security restricted, the secrets Job as its own ServiceAccount. Not part of
// `npm test` (jest's default run ignores test/cluster); one test file at a time, since they share the control plane.
project.addTask('test:cluster', {
  description: 'Install, upgrade and uninstall the chart and the examples on a real Kubernetes API server (Pod Security restricted)',
  env: { CDK8S_CHECK_UPGRADE: 'false' },
  steps: [{ exec: 'jest --ci --runInBand --config test/cluster/jest.config.json', receiveArgs: true }],
});

// `npm run test:e2e` (tier 2): the chart rendered with `helm template` (CeleryExecutor with Flower, then LocalExecutor)
// and run as processes: every pod in a bubblewrap sandbox with its command, env, volumes, read-only root, UID/GID and
// probes; PostgreSQL and Redis from Debian's binaries; a DAG run through the REST API on the worker (or scheduler) and
// the triggerer. Installs what it needs with .ci/tools/e2e-stack.sh; runs as root. Not part of `npm test`.
project.addTask('test:e2e', {
  description: 'Run the rendered chart as sandboxed processes (bubblewrap) and a DAG through it, Celery and LocalExecutor',
  env: { CDK8S_CHECK_UPGRADE: 'false' },
  steps: [{ exec: 'jest --ci --runInBand --config test/e2e/jest.config.json', receiveArgs: true }],
});

// `npm run test:package` (issue 15): `npm pack`, the tarball installed offline into a fresh app next to exactly pinned
// cdk8s, constructs and cdk8s-plus-27, and the README's quick start compiled (strict) and run as written.
project.addTask('test:package', {
  description: 'Install the packed library into a fresh cdk8s app and run the README quick start from it',
  env: { CDK8S_CHECK_UPGRADE: 'false' },
  steps: [{ exec: 'jest --ci --runInBand --config test/package/jest.config.json', receiveArgs: true }],
});

// `npm run api`: regenerate API.md, the API reference, with jsii-docgen from the jsii assembly of src/ (the build the
// Python package comes from); `npm run test:python` fails while it is stale or while a public name has no doc comment.
project.addTask('api', {
  description: 'Generate API.md (the API reference) from the jsii assembly and its doc comments',
  steps: [{ exec: 'bash .ci/tools/jsii-package.sh --api' }],
});

// `npm run test:python` (issue 15): src/ compiled by jsii, the Python wheel built by jsii-pacmak and installed into a
// venv with cdk8s from PyPI, and the examples written in Python compared with the TypeScript ones.
project.addTask('test:python', {
  description: 'Build the Python package with jsii and compare what Python synthesizes with TypeScript',
  env: { CDK8S_CHECK_UPGRADE: 'false' },
  steps: [{ exec: 'jest --ci --runInBand --config test/python/jest.config.json', receiveArgs: true }],
});

// `npm run test:artifact`: charts/airflow packaged and signed (helm package --sign, a throw-away key from the system
// gpg), helm verify against tampered packages, provenance and keys, then helm push / pull (--verify) through the pinned
// CNCF distribution registry (.ci/tools/oci-registry.sh, built once with Go) on loopback. Not part of `npm test`.
project.addTask('test:artifact', {
  description: 'Sign, verify, push and pull the chart through a real OCI registry on loopback',
  env: { CDK8S_CHECK_UPGRADE: 'false' },
  steps: [{ exec: 'jest --ci --runInBand --config test/artifact/jest.config.json', receiveArgs: true }],
});

// `npm run bench` (issue 5): speed and memory of synthesis and chart rendering -> test/bench/results.json + README.
// The harness runs compiled (lib/test/bench), so the processes it times carry no TypeScript compiler.
// `npm run bench -- --only synth,scale` or `-- --readme-only` pass options through.
project.addTask('bench', {
  description: 'Measure synth, scaling, chart and test speed and memory; write test/bench/results.json and the README section',
  env: { CDK8S_CHECK_UPGRADE: 'false' },
  steps: [
    { spawn: 'compile' },
    { exec: 'tsc -p test/bench/tsconfig.json' },
    { exec: 'node lib/test/bench/run.js', receiveArgs: true },
  ],
});
project.npmignore?.exclude('/lib/test/');

// `npm run chart` (issue 3): regenerate charts/airflow from the constructs and the values model (commit the result;
// test/helm/stale.test.ts fails while it is stale). `npm run chart:package` builds dist/airflow-<version>.tgz with
// the pinned helm (.ci/tools/helm.sh).
project.addTask('chart', {
  description: 'Generate the Helm chart charts/airflow from the constructs',
  env: { CDK8S_CHECK_UPGRADE: 'false' },
  steps: [{ spawn: 'compile' }, { exec: 'node lib/src/helm/main.js charts/airflow' }],
});
project.addTask('chart:package', {
  description: 'Lint (strict) and package charts/airflow into dist/ with the pinned helm',
  steps: [
    { exec: 'bash -c \'"$(bash .ci/tools/helm.sh)" lint --strict charts/airflow\'' },
    { exec: 'bash -c \'"$(bash .ci/tools/helm.sh)" package charts/airflow --destination dist\'' },
  ],
});

// `npm run config:reference` (issue 15): regenerate src/config/airflow-reference.json, Airflow's configuration reference
// (sections, keys, types, defaults, sensitive, deprecated, renamed and removed names), from the pinned Airflow 3.3.2 venv
// of .ci/tools/auth-stack.sh. test/integration/airflow-reference.test.ts fails while the committed file differs.
project.addTask('config:reference', {
  description: 'Regenerate src/config/airflow-reference.json from the pinned Airflow and its providers',
  steps: [{ exec: 'bash -c \'eval "$(bash .ci/tools/auth-stack.sh)" && "$AUTH_STACK_PYTHON" test/integration/airflow-reference.py src/config/airflow-reference.json\'' }],
});

// `npm run kubeconform -- ...` runs the pinned kubeconform with our offline strict schemas (bin/kubeconform, a plain
// node script). A repository tool, not a package bin: it needs a checkout, and would shadow a real kubeconform.
project.package.setScript('kubeconform', 'node bin/kubeconform');

project.gitignore.exclude('dist/', 'lib/', '.cache/');
// The package is the library: lib/src without the chart emitter (lib/src/helm, lib/src/values: they write
// charts/airflow in this repository) and without the examples' entry point (lib/src/main.js).
project.npmignore?.exclude('examples/', 'charts/', '.ci/', 'cdk8s.yaml', '/bin/', '/lib/src/main.*', '/lib/src/helm/', '/lib/src/values/',
  '/scratch/', '/test-reports/', '*.tsbuildinfo', '/lib/**/*.js.map');
project.package.addVersion('0.1.0');
project.package.addField('exports', {
  '.': { types: './lib/src/index.d.ts', default: './lib/src/index.js' },
  './package.json': './package.json',
});
// Supported: Node 20 and 22 (CI runs the fast tier on both), TypeScript 5.x in consuming projects (7.x breaks ts-node).
project.package.addEngine('node', '>= 20.0.0');

project.synth();
