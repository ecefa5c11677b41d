#!/usr/bin/env bash
# Builds the jsii assembly and the Python package from src/ (the sources of the npm package, copied unchanged) and
# prints the build directory: <dir>/.jsii (the assembly), <dir>/dist/python/*.whl (the Python package) and
# <dir>/API.md and <dir>/API.python.md (the API reference for TypeScript and for Python, jsii-docgen); with --api it
# copies both into the repository (what `npm run api` does).
#
# The compilers are pinned and installed once into the cache, and run on the pinned Node 22 (node22.sh): jsii 5.9
# matches the TypeScript 5.9 this package builds with.
#
#   CDK8S_AIRFLOW_CACHE   cache root (default $HOME/.cache/cdk8s-airflow)
set -euo pipefail
cd "$(dirname "$0")/../.."
root="$PWD"
jsii_version=5.9.50
pacmak_version=1.140.0
docgen_version=10.12.6
cache_root="${CDK8S_AIRFLOW_CACHE:-${HOME:-/tmp}/.cache/cdk8s-airflow}"
tools="${cache_root}/tools/jsii-${jsii_version}-pacmak-${pacmak_version}-docgen-${docgen_version}"
PATH="$(bash .ci/tools/node22.sh):$PATH"
export PATH
if [ ! -x "${tools}/node_modules/.bin/jsii-docgen" ]; then
  mkdir -p "$tools"
  npm install --no-save --no-audit --no-fund --prefix "$tools" \
    "jsii@${jsii_version}" "jsii-pacmak@${pacmak_version}" "jsii-docgen@${docgen_version}" >&2
fi
bin="${tools}/node_modules/.bin"

stage="${root}/dist/jsii"
rm -rf "$stage"
mkdir -p "$stage"
cp -r src "$stage/src"
cp README.md LICENSE "$stage/"
ln -s "${root}/node_modules" "$stage/node_modules"
# package.json and tsconfig for jsii, from the project's own (projen generates those; jsii needs its "jsii" field,
# and bundles the one runtime dependency that is not a jsii module).
node - "$root" "$stage" <<'EOF'
const fs = require('fs');
const path = require('path');
const ts = require(path.join(process.argv[2], 'node_modules/typescript'));
const [root, stage] = process.argv.slice(2);
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
const tsconfig = ts.parseConfigFileTextToJson('tsconfig.json', fs.readFileSync(path.join(root, 'tsconfig.json'), 'utf8')).config;
const out = {
  name: pkg.name,
  version: pkg.version,
  description: pkg.description,
  license: pkg.license,
  author: pkg.author,
  // No public repository yet: the source is this checkout (set `repository` in .projenrc.ts before publishing).
  repository: pkg.repository ?? { type: 'git', url: `file://${root}` },
  keywords: pkg.keywords,
  engines: pkg.engines,
  main: pkg.main,
  types: pkg.types,
  peerDependencies: pkg.peerDependencies,
  dependencies: pkg.dependencies,
  bundledDependencies: Object.keys(pkg.dependencies),
  jsii: {
    outdir: 'dist',
    tsconfig: 'tsconfig.jsii.json',
    validateTsconfig: 'minimal',
    targets: { python: { distName: pkg.name, module: pkg.name.replace(/-/g, '_') } },
  },
};
fs.writeFileSync(path.join(stage, 'package.json'), JSON.stringify(out, null, 2) + '\n');
const compilerOptions = { ...tsconfig.compilerOptions, noEmitOnError: true, types: ['node'] };
fs.writeFileSync(path.join(stage, 'tsconfig.jsii.json'), JSON.stringify({
  compilerOptions, include: ['src/**/*.ts'], exclude: ['node_modules', 'src/main.ts'],
}, null, 2) + '\n');
EOF
cd "$stage"
# The peer ranges are what users may install; this build compiles against the versions in package-lock.json.
"${bin}/jsii" --silence-warnings=metadata/missing-dev-dependency >&2
"${bin}/jsii-pacmak" --targets python >&2
"${bin}/jsii-docgen" --language typescript --output "${stage}/API.md" >&2
"${bin}/jsii-docgen" --language python --output "${stage}/API.python.md" >&2
if [ "${1:-}" = "--api" ]; then
  cp "${stage}/API.md" "${stage}/API.python.md" "${root}/"
fi
echo "$stage"
