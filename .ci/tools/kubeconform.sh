#!/usr/bin/env bash
# Prints the absolute path of a pinned kubeconform binary, building it once if needed.
#
#   KUBECONFORM_VERSION   pinned version (default v0.7.0)
#   CDK8S_AIRFLOW_CACHE   cache root (default $HOME/.cache/cdk8s-airflow)
#
# Resolution order:
#   1. a `kubeconform` on PATH that reports exactly the pinned version;
#   2. <cache>/tools/kubeconform-<version>/bin/kubeconform (built earlier);
#   3. `go install github.com/yannh/kubeconform/cmd/kubeconform@<version>` into (2)
#      (only the Go module proxy is used; needs Go >= 1.22).
# Build logs go to stderr; stdout carries only the path.
set -euo pipefail

version="${KUBECONFORM_VERSION:-v0.7.0}"
cache_root="${CDK8S_AIRFLOW_CACHE:-${HOME:-/tmp}/.cache/cdk8s-airflow}"
tool_dir="${cache_root}/tools/kubeconform-${version}"
bin="${tool_dir}/bin/kubeconform"

# Release binaries answer `-v` with their tag ("v0.7.0"); `go install` builds
# answer "development", so for those read the module version from the build
# info (`go version -m`), when Go is around.
is_pinned() {
  [ -x "$1" ] || return 1
  [ "$("$1" -v 2>/dev/null || true)" = "$version" ] && return 0
  command -v go >/dev/null 2>&1 || return 1
  go version -m "$1" 2>/dev/null | grep -Eq "^[[:space:]]+mod[[:space:]]+github.com/yannh/kubeconform[[:space:]]+${version}([[:space:]]|$)"
}

if on_path="$(command -v kubeconform 2>/dev/null)" && is_pinned "$on_path"; then
  echo "$on_path"
  exit 0
fi

# Our own build: the stamp written after `go install` records the version.
if [ -x "$bin" ] && [ "$(cat "${bin}.version" 2>/dev/null || true)" = "$version" ]; then
  echo "$bin"
  exit 0
fi

if ! command -v go >/dev/null 2>&1; then
  echo "error: kubeconform ${version} not found and Go is not installed." >&2
  echo "       Install Go >= 1.22 (e.g. 'apt-get install golang-go' or the official toolchain)," >&2
  echo "       or put kubeconform ${version} on PATH, then re-run." >&2
  exit 127
fi

mkdir -p "${tool_dir}/bin"
echo "building kubeconform ${version} into ${tool_dir}/bin (one-off) ..." >&2
# Run outside any Go module so the repo layout never matters; build with a
# private lock dir so two concurrent callers do not clobber each other.
lock="${tool_dir}/.lock"
exec 9>"$lock"
if command -v flock >/dev/null 2>&1; then flock 9; fi
if [ ! -x "$bin" ] || [ "$(cat "${bin}.version" 2>/dev/null || true)" != "$version" ]; then
  (cd "${tool_dir}" && GOFLAGS="${GOFLAGS:-} -mod=mod" GO111MODULE=on CGO_ENABLED=0 GOBIN="${tool_dir}/bin" \
    go install "github.com/yannh/kubeconform/cmd/kubeconform@${version}") >&2
fi
if ! is_pinned "$bin"; then
  echo "error: go install of kubeconform ${version} did not produce ${bin}" >&2
  exit 1
fi
echo "$version" >"${bin}.version"
echo "$bin"
