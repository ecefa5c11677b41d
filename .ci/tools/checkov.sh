#!/usr/bin/env bash
# Prints the path of the pinned checkov, installing it once with pip into a private virtualenv.
#
#   CHECKOV_VERSION       pinned version (default 3.3.30)
#   CDK8S_AIRFLOW_CACHE   cache root (default $HOME/.cache/cdk8s-airflow)
#
# <cache>/tools/checkov-<version>/venv, installed from PyPI with checkov-constraints.txt beside this script, which
# pins every dependency (regenerate it with `<venv>/bin/pip freeze` after bumping the version). Needs Python >= 3.9.
# Install logs go to stderr; stdout carries only the path.
set -euo pipefail

version="${CHECKOV_VERSION:-3.3.30}"
here="$(cd "$(dirname "$0")" && pwd)"
cache_root="${CDK8S_AIRFLOW_CACHE:-${HOME:-/tmp}/.cache/cdk8s-airflow}"
tool_dir="${cache_root}/tools/checkov-${version}"
venv="${tool_dir}/venv"
bin="${venv}/bin/checkov"
stamp="${tool_dir}/installed.version"
constraints="${here}/checkov-constraints.txt"
# The stamp names the version and the constraints' content, so editing the constraints reinstalls.
want="${version} $(cksum <"$constraints" | cut -d' ' -f1)"

if [ -x "$bin" ] && [ "$(cat "$stamp" 2>/dev/null || true)" = "$want" ]; then
  echo "$bin"
  exit 0
fi

python="$(command -v python3 || true)"
if [ -z "$python" ] || ! "$python" -c 'import sys, venv; sys.exit(sys.version_info < (3, 9))' 2>/dev/null; then
  echo "error: checkov ${version} is not installed yet and needs Python >= 3.9 with the venv module" >&2
  echo "       (e.g. 'apt-get install python3-venv'), then re-run." >&2
  exit 127
fi

mkdir -p "$tool_dir"
exec 9>"${tool_dir}/.lock"
if command -v flock >/dev/null 2>&1; then flock 9; fi
if [ ! -x "$bin" ] || [ "$(cat "$stamp" 2>/dev/null || true)" != "$want" ]; then
  echo "installing checkov ${version} into ${venv} (one-off) ..." >&2
  rm -rf "$venv"
  "$python" -m venv "$venv" >&2
  PIP_DISABLE_PIP_VERSION_CHECK=1 "${venv}/bin/pip" install --quiet --no-input \
    -c "$constraints" "checkov==${version}" >&2
  [ "$("$bin" --version 2>/dev/null)" = "$version" ] || { echo "error: pip did not install checkov ${version}" >&2; exit 1; }
  echo "$want" >"$stamp"
fi
echo "$bin"
