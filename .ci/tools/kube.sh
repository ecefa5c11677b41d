#!/usr/bin/env bash
# Installs, once, the real Kubernetes control plane the cluster tier (test/cluster/, `npm run test:cluster`) runs,
# and prints where it is.
#
#   kube-apiserver, kube-controller-manager, kubectl: built from the k8s.io/kubernetes Go module at a pinned version,
#     fetched through the Go module proxy only. `go install k8s.io/kubernetes/cmd/...@vX` refuses that module (its
#     go.mod replaces every staging module, k8s.io/api and friends, with ./staging/src/... and requires them at
#     v0.0.0), so the build runs in a scratch module that requires k8s.io/kubernetes and maps each staging module to
#     its published v0.<minor>.<patch>, the same code. Version stamps are those of Kubernetes' own build
#     (hack/lib/version.sh), so the API server reports v1.34.x (Helm checks Chart.yaml's kubeVersion against it).
#   etcd: the Debian package etcd-server, installed when missing (as root, or through passwordless sudo).
#   openssl: the test CA, serving certificates and the service-account signing key.
#
#   KUBE_VERSION          pinned Kubernetes version (default v1.34.4: the newest 1.34 patch the proxy served)
#   CDK8S_AIRFLOW_CACHE   cache root (default $HOME/.cache/cdk8s-airflow); binaries in <cache>/tools/kubernetes-<version>/bin
#
# Idempotent: a build stamped with the same version and flags is reused. 7 to 15 minutes the first time on 2 cores
# (compiling Kubernetes; the shorter time with Go's module cache warm), instant once built. Logs go to stderr;
# stdout carries only KEY=VALUE lines: KUBE_APISERVER, KUBE_CONTROLLER_MANAGER, KUBECTL, ETCD, OPENSSL, KUBE_VERSION.
set -euo pipefail

version="${KUBE_VERSION:-v1.34.4}"
cache_root="${CDK8S_AIRFLOW_CACHE:-${HOME:-/tmp}/.cache/cdk8s-airflow}"
tool_dir="${cache_root}/tools/kubernetes-${version}"
bin_dir="${tool_dir}/bin"
commands=(kube-apiserver kube-controller-manager kubectl)
# Bump when the build below changes: forces a rebuild.
revision=1

log() { echo "kube: $*" >&2; }
die() { echo "kube: error: $*" >&2; exit 1; }

[[ "$version" =~ ^v([0-9]+)\.([0-9]+)\.([0-9]+)$ ]] || die "KUBE_VERSION must look like v1.34.4, got '${version}'"
major="${BASH_REMATCH[1]}" minor="${BASH_REMATCH[2]}" patch="${BASH_REMATCH[3]}"
staging_version="v0.${minor}.${patch}"
# Fixed build date: the same version always gives the same stamp (Kubernetes' release builds use the tag's date).
ldflags=""
for pkg in k8s.io/client-go/pkg/version k8s.io/component-base/version; do
  ldflags+=" -X ${pkg}.gitVersion=${version} -X ${pkg}.gitMajor=${major} -X ${pkg}.gitMinor=${minor}"
  ldflags+=" -X ${pkg}.gitTreeState=clean -X ${pkg}.buildDate=1970-01-01T00:00:00Z"
done
want="k8s.io/kubernetes@${version} revision=${revision} ldflags=${ldflags}"
stamp="${bin_dir}/.stamp"

mkdir -p "$tool_dir"
exec 9>"${tool_dir}/.lock"
if command -v flock >/dev/null 2>&1; then flock 9; fi

# 1. Debian packages: etcd and openssl.
missing=()
command -v etcd >/dev/null 2>&1 || missing+=(etcd-server)
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then sudo=()
  elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then sudo=(sudo -n)
  else die "missing Debian packages: ${missing[*]}; install them (apt-get install ${missing[*]}) or run as root"
  fi
  command -v apt-get >/dev/null 2>&1 || die "missing ${missing[*]} and apt-get is not available; install etcd and openssl yourself"
  log "installing ${missing[*]} (one-off) ..."
  export DEBIAN_FRONTEND=noninteractive
  # Only the etcd binary is used: the test starts its own etcd on a random loopback port with a fresh data dir.
  # Waits for another apt/dpkg run (e.g. a concurrent tool install) instead of failing on its lock.
  apt=(apt-get -o DPkg::Lock::Timeout=900)
  "${sudo[@]}" "${apt[@]}" update -qq >&2 || die 'apt-get update failed'
  "${sudo[@]}" "${apt[@]}" install -y -qq --no-install-recommends "${missing[@]}" >&2 || die "apt-get install ${missing[*]} failed"
fi
etcd_bin="$(command -v etcd)" || die "etcd not found after installing etcd-server"

# 2. The Kubernetes binaries.
built=1
for c in "${commands[@]}"; do [ -x "${bin_dir}/${c}" ] || built=0; done
if [ "$built" = 0 ] || [ "$(cat "$stamp" 2>/dev/null || true)" != "$want" ]; then
  command -v go >/dev/null 2>&1 || die "Kubernetes ${version} is not built yet and Go is not installed; install Go >= 1.24 (e.g. the official toolchain), then re-run"
  export GO111MODULE=on GOFLAGS=-mod=mod CGO_ENABLED=0
  log "building kube-apiserver, kube-controller-manager and kubectl ${version} into ${bin_dir} (one-off, 7 to 15 minutes on 2 cores) ..."
  # The module's own go.mod names the staging modules it replaces.
  mod_json="$(cd "$tool_dir" && go mod download -json "k8s.io/kubernetes@${version}")" || die "go mod download k8s.io/kubernetes@${version} failed"
  gomod="$(printf '%s\n' "$mod_json" | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",$/\1/p')"
  [ -f "$gomod" ] || die "go mod download did not give the go.mod of k8s.io/kubernetes@${version}"
  staging=($(sed -n 's#^[[:space:]]*\(k8s\.io/[a-z0-9-]*\) => \./staging/src/.*#\1#p' "$gomod"))
  [ "${#staging[@]}" -gt 10 ] || die "found no staging replacements in ${gomod}"
  go_line="$(grep -m1 '^go ' "$gomod")"
  godebug_line="$(grep -m1 '^godebug ' "$gomod" || true)"
  build="${tool_dir}/build"
  rm -rf "$build"
  mkdir -p "$build"
  {
    echo "// Scratch module of .ci/tools/kube.sh: builds k8s.io/kubernetes ${version} with its staging modules at ${staging_version}."
    echo "module cdk8s-airflow.invalid/kube-build"
    echo
    echo "$go_line"
    [ -z "$godebug_line" ] || echo "$godebug_line"
    echo
    echo "require k8s.io/kubernetes ${version}"
    echo
    echo "replace ("
    for m in "${staging[@]}"; do echo "	${m} => ${m} ${staging_version}"; done
    echo ")"
  } >"${build}/go.mod"
  (
    cd "$build"
    # Resolves the staging modules and every dependency at the versions k8s.io/kubernetes requires (go.sum checked).
    go get "k8s.io/kubernetes@${version}" >&2
    mkdir -p "${bin_dir}"
    for c in "${commands[@]}"; do
      log "go build k8s.io/kubernetes/cmd/${c}"
      go build -trimpath -ldflags="${ldflags}" -o "${bin_dir}/${c}.tmp" "k8s.io/kubernetes/cmd/${c}" >&2
      mv "${bin_dir}/${c}.tmp" "${bin_dir}/${c}"
    done
  ) || die "building Kubernetes ${version} failed (see above)"
  "${bin_dir}/kube-apiserver" --version 2>/dev/null | grep -qx "Kubernetes ${version}" \
    || die "the built kube-apiserver does not report Kubernetes ${version}"
  echo "$want" >"$stamp"
fi

echo "KUBE_APISERVER=${bin_dir}/kube-apiserver"
echo "KUBE_CONTROLLER_MANAGER=${bin_dir}/kube-controller-manager"
echo "KUBECTL=${bin_dir}/kubectl"
echo "ETCD=${etcd_bin}"
echo "OPENSSL=$(command -v openssl)"
echo "KUBE_VERSION=${version}"
