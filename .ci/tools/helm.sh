#!/usr/bin/env bash
# Prints the absolute path of a pinned helm binary, built once with `go install` (see go-install.sh).
#
#   HELM_VERSION          pinned version (default v3.22.0)
#   CDK8S_AIRFLOW_CACHE   cache root (default $HOME/.cache/cdk8s-airflow)
set -euo pipefail
version="${HELM_VERSION:-v3.22.0}"
# What helm's Makefile stamps: its version, and the Kubernetes version of its client-go (v0.37 -> 1.37 for
# v3.22.0), which `helm template` and `helm lint` assume without --kube-version (unstamped builds assume 1.20).
k8s_minor="${HELM_K8S_MINOR:-37}"
export GO_INSTALL_LDFLAGS="-X helm.sh/helm/v3/internal/version.version=${version} -X helm.sh/helm/v3/internal/version.metadata= \
-X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMajor=1 -X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMinor=${k8s_minor} \
-X helm.sh/helm/v3/pkg/chartutil.k8sVersionMajor=1 -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMinor=${k8s_minor}"
exec "$(dirname "$0")/go-install.sh" helm helm.sh/helm/v3/cmd/helm "$version"
