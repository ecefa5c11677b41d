#!/usr/bin/env bash
# Prints the absolute path of a pinned Go-built tool, building it once with `go install`.
#
#   usage: go-install.sh NAME PACKAGE VERSION
#     NAME     binary name (e.g. kube-score)
#     PACKAGE  Go package of the command (e.g. github.com/zegl/kube-score/cmd/kube-score)
#     VERSION  module version (e.g. v1.20.0)
#   CDK8S_AIRFLOW_CACHE   cache root (default $HOME/.cache/cdk8s-airflow)
#   GO_INSTALL_LDFLAGS    -ldflags for the build (e.g. the version stamps an upstream Makefile sets); part of the stamp
#
# Resolution order:
#   1. <cache>/tools/NAME-VERSION/bin/NAME, built earlier (a stamp file records the version);
#   2. `go install PACKAGE@VERSION` into (1): only the Go module proxy is used.
# A binary on PATH is not used: `go install` builds report no version, so it cannot be proven pinned.
# Build logs go to stderr; stdout carries only the path.
set -euo pipefail

name="$1" package="$2" version="$3"
cache_root="${CDK8S_AIRFLOW_CACHE:-${HOME:-/tmp}/.cache/cdk8s-airflow}"
tool_dir="${cache_root}/tools/${name}-${version}"
bin="${tool_dir}/bin/${name}"
stamp="${bin}.version"
ldflags="${GO_INSTALL_LDFLAGS:-}"
want="${package}@${version}${ldflags:+ ldflags=${ldflags}}"

if [ -x "$bin" ] && [ "$(cat "$stamp" 2>/dev/null || true)" = "$want" ]; then
  echo "$bin"
  exit 0
fi

if ! command -v go >/dev/null 2>&1; then
  echo "error: ${name} ${version} is not built yet and Go is not installed." >&2
  echo "       Install Go >= 1.22 (e.g. 'apt-get install golang-go' or the official toolchain), then re-run." >&2
  exit 127
fi

mkdir -p "${tool_dir}/bin"
# One builder at a time per tool (concurrent test workers share the cache).
exec 9>"${tool_dir}/.lock"
if command -v flock >/dev/null 2>&1; then flock 9; fi
if [ ! -x "$bin" ] || [ "$(cat "$stamp" 2>/dev/null || true)" != "$want" ]; then
  echo "building ${name} ${version} into ${tool_dir}/bin (one-off) ..." >&2
  # Outside any Go module, so the repository layout never matters.
  (cd "${tool_dir}" && GOFLAGS="${GOFLAGS:-} -mod=mod" GO111MODULE=on CGO_ENABLED=0 GOBIN="${tool_dir}/bin" \
    go install -ldflags="${ldflags}" "${package}@${version}") >&2
  go version -m "$bin" 2>/dev/null | grep -q "[[:space:]]${version}\([[:space:]]\|$\)" || {
    echo "error: go install of ${package}@${version} did not produce ${bin}" >&2
    exit 1
  }
  echo "$want" >"$stamp"
fi
echo "$bin"
