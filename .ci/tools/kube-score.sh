#!/usr/bin/env bash
# Prints the path of the pinned kube-score, building it once with Go (see go-install.sh).
#   KUBE_SCORE_VERSION   pinned version (default v1.20.0)
set -euo pipefail
exec bash "$(dirname "$0")/go-install.sh" kube-score github.com/zegl/kube-score/cmd/kube-score "${KUBE_SCORE_VERSION:-v1.20.0}"
