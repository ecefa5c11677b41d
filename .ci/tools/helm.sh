#!/usr/bin/env bash
# Prints the absolute path of a pinned helm binary, building it once with `go install` if needed.
#
#   HELM_VERSION          pinned version (default v3.22.0)
#   CDK8S_AIRFLOW_CACHE   cache root (default $HOME/.cache/cdk8s-airflow)
#
# Only the Go module proxy is used. Build logs go to stderr; stdout carries only the path.
set -euo pipefail

version="${HELM_VERSION:-v3.22.0}"
cache_root="${CDK8S_AIRFLOW_CACHE:-${HOME:-/tmp}/.cache/cdk8s-airflow}"
tool_dir="${cache_root}/tools/helm-${version}"
bin="${tool_dir}/bin/helm"

if [ -x "$bin" ] && [ "$(cat "${bin}.version" 2>/dev/null || true)" = "$version" ]; then
  echo "$bin"
  exit 0
fi
if ! command -v go >/dev/null 2>&1; then
  echo "error: helm ${version} not found in ${tool_dir} and Go is not installed to build it." >&2
  echo "       Install Go >= 1.24, then re-run." >&2
  exit 127
fi
mkdir -p "${tool_dir}/bin"
exec 9>"${tool_dir}/.lock"
if command -v flock >/dev/null 2>&1; then flock 9; fi
if [ ! -x "$bin" ] || [ "$(cat "${bin}.version" 2>/dev/null || true)" != "$version" ]; then
  echo "building helm ${version} into ${tool_dir}/bin (one-off) ..." >&2
  # -ldflags stamp the version the way helm's own Makefile does, so `helm version` tells the truth.
  (cd "${tool_dir}" && GO111MODULE=on CGO_ENABLED=0 GOBIN="${tool_dir}/bin" \
    go install -ldflags "-X helm.sh/helm/v3/internal/version.version=${version}" "helm.sh/helm/v3/cmd/helm@${version}") >&2
  echo "$version" >"${bin}.version"
fi
echo "$bin"
