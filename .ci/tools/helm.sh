#!/usr/bin/env bash
# Prints the absolute path of a pinned helm binary, built once with `go install` (see go-install.sh).
#
#   HELM_VERSION          pinned version (default v3.22.0)
#   CDK8S_AIRFLOW_CACHE   cache root (default $HOME/.cache/cdk8s-airflow)
set -euo pipefail
exec "$(dirname "$0")/go-install.sh" helm helm.sh/helm/v3/cmd/helm "${HELM_VERSION:-v3.22.0}"
